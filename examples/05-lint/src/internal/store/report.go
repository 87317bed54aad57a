// Package store keeps item counts in memory.
package store

// The raw string below keeps its spaces: they are content, not style.
const report = `item   count   
    widget  3   
`

// TODO(ana): a note with an owner is fine, and so is a "TODO" in a string.
var note = "TODO later"
