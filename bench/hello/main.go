// Command hello is the floor for starting a Go process: the bench builds it
// in the same run as haloy and compares haloy's start-up cost against it.
package main

import "fmt"

func main() { fmt.Println("hello, world") }
