// Package migrations holds veloslet's schema as numbered goose SQL files and
// exports them as an embedded file system. It contains nothing else: the store
// package runs these files through a goose Provider when it opens a database.
//
// A migration that has been merged is never edited; add a new file instead.
package migrations

import "embed"

// FS holds every migration file, named NNNNN_verb_noun.sql.
//
//go:embed *.sql
var FS embed.FS
