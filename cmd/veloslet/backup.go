package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

const backupPrefix = "veloslet-"

func (m *Main) backupDir() string {
	if m.Config.Backup.Dir != "" {
		return m.Config.Backup.Dir
	}
	return filepath.Join(filepath.Dir(m.Config.Store.Path), "backups")
}

func (m *Main) backupCommand() *cobra.Command {
	var to string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent snapshot of the database (VACUUM INTO)",
		Long: `Write a consistent snapshot of the database, safe while the daemon runs. By
default it goes to backup.dir (a "backups" folder beside the database) with the
time in its name, and only the newest backup.keep snapshots there are kept.
See docs/ops.md for restoring one.`,
		Example: "  veloslet backup\n  veloslet backup --to /mnt/usb/veloslet.db",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := m.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			path := to
			if path == "" {
				path, err = m.rotateBackups(cmd.Context(), db)
			} else {
				err = db.Backup(cmd.Context(), path)
			}
			if err != nil {
				return err
			}
			if asJSON {
				fi, err := os.Stat(path)
				if err != nil {
					return err
				}
				return writeJSON(cmd.OutOrStdout(), struct {
					Path  string `json:"path"`
					Bytes int64  `json:"bytes"`
				}{path, fi.Size()})
			}
			fmt.Fprintln(cmd.OutOrStdout(), path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the snapshot's path and size as JSON")
	cmd.Flags().StringVar(&to, "to", "", "write the snapshot to this file (must not exist)")
	return cmd
}

// backupTimeFormat is the time in a backup's name: it sorts as text.
const backupTimeFormat = "20060102T150405.000Z"

// backupName matches the name of one store's snapshot,
// veloslet-<storeid>-<time>.db, and nothing else.
func backupName(storeID string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(backupPrefix+storeID+"-") + `\d{8}T\d{6}\.\d{3}Z\.db$`)
}

// rotateBackups writes a timestamped snapshot into the backup folder and
// deletes all but the newest backup.keep of this store's snapshots there.
// A file is deleted only when its name says it is one of this store's
// snapshots, it is not the live database, and opened read-only it holds
// this store's id: two stores can share a folder, and nothing else in it is
// ever touched.
func (m *Main) rotateBackups(ctx context.Context, db *store.DB) (string, error) {
	dir := m.backupDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	name := backupPrefix + db.StoreID() + "-" + db.Now().UTC().Format(backupTimeFormat) + ".db"
	path := filepath.Join(dir, name)
	if err := db.Backup(ctx, path); err != nil {
		return "", err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return path, err
	}
	ours := backupName(db.StoreID())
	live, _ := os.Stat(db.Path())
	var names []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !ours.MatchString(e.Name()) {
			continue
		}
		full := filepath.Join(dir, e.Name())
		if fi, err := os.Stat(full); err != nil || (live != nil && os.SameFile(fi, live)) {
			continue
		}
		if id, err := store.FileStoreID(ctx, full); err != nil || id != db.StoreID() {
			m.Logger.Warn("backup rotation skips a file it cannot prove is this store's", "path", full, "error", err)
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names) // timestamps sort as text
	for len(names) > m.Config.Backup.Keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return path, err
		}
		names = names[1:]
	}
	return path, nil
}

// backupJob snapshots on backup.schedule.
func (m *Main) backupJob(db *store.DB) supervisor.Job {
	return supervisor.Job{Name: "backup", Schedule: m.Config.Backup.Schedule, Run: func(ctx context.Context) error {
		path, err := m.rotateBackups(ctx, db)
		if err == nil {
			m.Logger.Info("backup written", "path", path)
		}
		return err
	}}
}
