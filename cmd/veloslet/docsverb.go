package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func (m *Main) docsCommand() *cobra.Command {
	docs := &cobra.Command{
		Use:   "docs",
		Short: "Write the reference documentation (man pages)",
		Args:  noArgs,
	}
	man := &cobra.Command{
		Use:   "man DIR",
		Short: "Write one man page per verb into DIR (section 1)",
		Long: `Write veloslet.1 and one page per verb (veloslet-apply.1, …) into DIR,
generated from the same help text as --help, so they never disagree.
make install puts them under $(PREFIX)/share/man/man1.`,
		Example: "  veloslet docs man /usr/local/share/man/man1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return fmt.Errorf("create %s: %w", args[0], err)
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true // no date in the pages: a build is reproducible
			header := &doc.GenManHeader{Title: "VELOSLET", Section: "1", Source: "veloslet " + Version, Manual: "veloslet manual"}
			if err := doc.GenManTree(root, header, args[0]); err != nil {
				return fmt.Errorf("write man pages: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "man pages written to %s\n", args[0])
			return nil
		},
	}
	docs.AddCommand(man)
	return docs
}
