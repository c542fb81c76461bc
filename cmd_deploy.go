package main

// DeployCommands are the commands of this area, embedded in the grammar.
type DeployCommands struct{}
