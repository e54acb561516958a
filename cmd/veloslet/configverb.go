package main

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"
)

// configPaths are the files veloslet uses, as `config` prints them.
type configPaths struct {
	ConfigFile string `json:"config_file"` // "" when only defaults apply
	Database   string `json:"database"`
	Lock       string `json:"lock"`
	Backups    string `json:"backups"`
}

// tomlKeyed returns c as the config file names it (sections and keys as in
// TOML, durations as strings), for JSON.
func tomlKeyed(c Config) (map[string]any, error) {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		return nil, err
	}
	out := map[string]any{}
	_, err := toml.Decode(buf.String(), &out)
	return out, err
}

func (m *Main) configCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration and the files veloslet uses",
		Long: `Print the configuration in effect: the config file (--config or $VELOSLET_CONFIG)
over the built-in defaults, with --db applied, as TOML that veloslet reads back;
then the config file, database, daemon lock and backup folder paths. The
configuration holds no secrets (spec env values live in the database).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db := m.Config.Store.Path
			if abs, err := filepath.Abs(db); err == nil {
				db = abs
			}
			paths := configPaths{ConfigFile: m.ConfigPath, Database: db, Lock: lockPath(m.Config.Store.Path), Backups: m.backupDir()}
			w := cmd.OutOrStdout()
			if asJSON {
				cfg, err := tomlKeyed(m.Config)
				if err != nil {
					return err
				}
				return writeJSON(w, struct {
					Config map[string]any `json:"config"`
					Paths  configPaths    `json:"paths"`
				}{cfg, paths})
			}
			file := paths.ConfigFile
			if file == "" {
				file = "none (built-in defaults)"
			}
			fmt.Fprintf(w, "# config file: %s\n# database:    %s\n# lock:        %s\n# backups:     %s\n\n",
				file, paths.Database, paths.Lock, paths.Backups)
			return toml.NewEncoder(w).Encode(m.Config)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}
