package main

import "flag"

// flags holds the command-line options.
var (
    verbose = flag.Bool("v", false, "verbose output")
	addr    = flag.String("addr", "localhost:8080", "address to listen on; use :0 to pick any free port on every interface")
)

func parseFlags() {
	 	flag.Parse()
}