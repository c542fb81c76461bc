package agefile

import (
	"bufio"
	"bytes"
	"io"
)

// peek reads ahead to tell an ASCII-armored file from a binary one.
type peek struct{ *bufio.Reader }

func newPeek(r io.Reader) peek { return peek{bufio.NewReader(r)} }

// armored reports whether the file starts with age's armor header (after
// any leading whitespace, as armor.NewReader accepts).
func (p peek) armored() bool {
	b, _ := p.Peek(64)
	return bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("-----BEGIN AGE ENCRYPTED FILE-----"))
}
