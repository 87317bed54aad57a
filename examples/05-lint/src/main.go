// Command inventory serves the stock levels of a small shop.
package main

import (
	"fmt"
	"os"

	"example.com/inventory/internal/store"
)

func main() {
	s := store.New()
	s.Add("widget", 3)
	// TODO(ana): read the initial stock from a file.
	if err := s.Remove("widget", 1); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(s.Count("widget"))
}
