package main

// AdminCommands are the commands of this area, embedded in the grammar.
type AdminCommands struct{}
