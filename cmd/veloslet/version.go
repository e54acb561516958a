package main

import (
	"encoding/json"
	"fmt"
	goruntime "runtime"

	"github.com/spf13/cobra"
)

func (m *Main) versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := map[string]string{"version": Version, "go": goruntime.Version(),
				"platform": goruntime.GOOS + "/" + goruntime.GOARCH}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "veloslet %s (%s, %s)\n", v["version"], v["go"], v["platform"])
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
