package main

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// readHiddenLine is the prompt's line editor on a raw terminal.
func TestReadHiddenLine(t *testing.T) {
	tests := []struct {
		name    string
		typed   string
		want    string
		wantErr error
	}{
		{"enter", "tok-1\r", "tok-1", nil},
		{"newline", "tok-1\n", "tok-1", nil},
		{"backspace", "tok-x\x7f1\r", "tok-1", nil},
		{"ctrl_h", "tok-x\b1\r", "tok-1", nil},
		{"ctrl_u_clears", "wrong\x15tok-1\r", "tok-1", nil},
		{"ctrl_c", "tok\x03", "", errPromptInterrupted},
		// issue 16: Ctrl-D was ignored and the prompt waited forever
		{"ctrl_d_empty", "\x04", "", io.EOF},
		{"ctrl_d_after_text", "tok-1\x04", "tok-1", nil},
		{"end_of_input_after_text", "tok-1", "tok-1", nil},
		{"end_of_input", "", "", io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readHiddenLine(strings.NewReader(tt.typed))
			if string(got) != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("readHiddenLine(%q) = %q, %v; want %q, %v", tt.typed, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
