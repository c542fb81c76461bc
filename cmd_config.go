package main

// ConfigCommands are the commands of this area, embedded in the grammar.
type ConfigCommands struct{}
