package shared

import "testing"

func TestLoadTokenizerVectors(t *testing.T) {
	v := LoadTokenizerVectors(t)
	if len(v.Strings) == 0 {
		t.Fatal("no strings")
	}
	for key, s := range v.Tokenizers {
		if len(s.IDs) != len(v.Strings) {
			t.Errorf("%s: %d id lists for %d strings", key, len(s.IDs), len(v.Strings))
		}
	}
	if v.Chat["llama3"].Text == "" {
		t.Error("chatTemplates.llama3.text is empty")
	}
}
