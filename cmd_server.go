package main

// ServerCommands are the commands of this area, embedded in the grammar.
type ServerCommands struct{}
