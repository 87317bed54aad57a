package store

// cache remembers the last lookups.
// TODO: bound the size of the cache
type cache struct {
	last map[string]int  
}

/* FIXME make this configurable */
const cacheSize = 128
