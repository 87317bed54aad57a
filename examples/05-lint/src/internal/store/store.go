// Package store keeps item counts in memory.
package store

import "fmt"

// Store maps item names to counts.
type Store struct {
	items map[string]int
}

// New returns an empty store.
func New() *Store {
	return &Store{items: map[string]int{}}
}

// Add puts n more of name in the store.
func (s *Store) Add(name string, n int) {
	s.items[name] += n
}

// Remove takes n of name out of the store.
func (s *Store) Remove(name string, n int) error {
	if s.items[name] < n {
		return fmt.Errorf("store: only %d %s left, cannot remove %d", s.items[name], name, n)
	}
	s.items[name] -= n
	return nil
}

// Count reports how many of name the store holds.
func (s *Store) Count(name string) int {
	return s.items[name]
}
