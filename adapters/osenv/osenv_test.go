package osenv

import "testing"

func TestEnvLookup(t *testing.T) {
	t.Setenv("HALOY_OSENV_TEST_SET", "value")
	t.Setenv("HALOY_OSENV_TEST_EMPTY", "")
	tests := []struct {
		key    string
		want   string
		wantOK bool
	}{
		{"HALOY_OSENV_TEST_SET", "value", true},
		// set but empty is not the same as unset
		{"HALOY_OSENV_TEST_EMPTY", "", true},
		{"HALOY_OSENV_TEST_UNSET_VARIABLE", "", false},
	}
	for _, tt := range tests {
		got, ok := New().Lookup(tt.key)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Lookup(%q) = %q, %v, want %q, %v", tt.key, got, ok, tt.want, tt.wantOK)
		}
	}
}
