package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/llmpipe/llmpipe/chat/jinja"
)

// Message is one chat message as HF templates see it: a dict with "role",
// "content" (a string, or a list of content parts such as
// {"type": "text", "text": "…"}) and any other fields the template reads
// (tool_calls, reasoning_content, name, tool_call_id, …).
//
// Values may be nil, bool, string, any Go integer or float type,
// json.Number, json.RawMessage, Message, []any, map[string]any, or any
// other value encoding/json can marshal. Go maps have no order, so the keys
// of a map (and of the Message itself) reach the template sorted; JSON
// (json.RawMessage, or a Message read with encoding/json) keeps its key
// order, which matters to templates that apply tojson to tool-call
// arguments.
type Message map[string]any

// NewMessage returns a message with a role and content.
func NewMessage(role string, content any) Message {
	return Message{"role": role, "content": content}
}

// Role returns the message's role, or "" when it is missing or not a string.
func (m Message) Role() string { return m.str("role") }

// Text returns the message's content when it is a string, or the
// concatenated text of its {"type": "text"} parts when it is a list.
func (m Message) Text() string {
	v, err := toValue(m["content"])
	if err != nil {
		return ""
	}
	if v.Kind() == jinja.String {
		return v.Str()
	}
	var b strings.Builder
	for _, part := range v.List() {
		if part.Kind() != jinja.Dict {
			continue
		}
		d := part.Dict()
		if t, ok := d.Get("type"); ok && t.Kind() == jinja.String && t.Str() == "text" {
			if s, ok := d.Get("text"); ok && s.Kind() == jinja.String {
				b.WriteString(s.Str())
			}
		}
	}
	return b.String()
}

func (m Message) str(key string) string {
	v, err := toValue(m[key])
	if err != nil || v.Kind() != jinja.String {
		return ""
	}
	return v.Str()
}

// UnmarshalJSON reads a JSON object, keeping each field as json.RawMessage
// so that nested objects keep their key order.
func (m *Message) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw == nil {
		return errors.New("chat: message is null")
	}
	*m = make(Message, len(raw))
	for k, v := range raw {
		(*m)[k] = v
	}
	return nil
}

// toValue converts a Go value to a template value.
func toValue(v any) (jinja.Value, error) {
	switch x := v.(type) {
	case nil:
		return jinja.NoneValue(), nil
	case jinja.Value:
		return x, nil
	case bool:
		return jinja.BoolValue(x), nil
	case string:
		return jinja.StringValue(x), nil
	case int:
		return jinja.IntValue(int64(x)), nil
	case int8:
		return jinja.IntValue(int64(x)), nil
	case int16:
		return jinja.IntValue(int64(x)), nil
	case int32:
		return jinja.IntValue(int64(x)), nil
	case int64:
		return jinja.IntValue(x), nil
	case uint8:
		return jinja.IntValue(int64(x)), nil
	case uint16:
		return jinja.IntValue(int64(x)), nil
	case uint32:
		return jinja.IntValue(int64(x)), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return jinja.FloatValue(float64(x)), nil
		}
		return jinja.IntValue(int64(x)), nil
	case uint64:
		if x > math.MaxInt64 {
			return jinja.FloatValue(float64(x)), nil
		}
		return jinja.IntValue(int64(x)), nil
	case float32:
		return jinja.FloatValue(float64(x)), nil
	case float64:
		return jinja.FloatValue(x), nil
	case json.Number:
		return numberValue(string(x))
	case json.RawMessage:
		return decodeJSON(x)
	case Message:
		return mapValue(x)
	case map[string]any:
		return mapValue(x)
	case []any:
		return listValue(x)
	case []Message:
		return listValue(x)
	case []map[string]any:
		return listValue(x)
	case []string:
		return listValue(x)
	case []json.RawMessage:
		return listValue(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return jinja.UndefinedValue(), fmt.Errorf("cannot pass %T to a template: %w", v, err)
	}
	return decodeJSON(b)
}

func mapValue[M ~map[string]any](m M) (jinja.Value, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := jinja.NewDict()
	for _, k := range keys {
		v, err := toValue(m[k])
		if err != nil {
			return jinja.UndefinedValue(), fmt.Errorf("%s: %w", k, err)
		}
		d.Set(k, v)
	}
	return jinja.DictValue(d), nil
}

func listValue[T any](s []T) (jinja.Value, error) {
	items := make([]jinja.Value, len(s))
	for i, e := range s {
		v, err := toValue(any(e))
		if err != nil {
			return jinja.UndefinedValue(), fmt.Errorf("[%d]: %w", i, err)
		}
		items[i] = v
	}
	return jinja.ListValue(items), nil
}

// numberValue is Python's json.loads of a number: an integer without a
// fraction or exponent, else a float.
func numberValue(s string) (jinja.Value, error) {
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return jinja.IntValue(n), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return jinja.UndefinedValue(), fmt.Errorf("bad number %q", s)
	}
	return jinja.FloatValue(f), nil
}

// decodeJSON decodes one JSON value keeping object key order (the last of
// duplicate keys wins, at the first key's place, as in Python).
func decodeJSON(b []byte) (jinja.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return jinja.UndefinedValue(), fmt.Errorf("json: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return jinja.UndefinedValue(), errors.New("json: data after the value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (jinja.Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return jinja.UndefinedValue(), err
	}
	switch t := tok.(type) {
	case nil:
		return jinja.NoneValue(), nil
	case bool:
		return jinja.BoolValue(t), nil
	case string:
		return jinja.StringValue(t), nil
	case json.Number:
		return numberValue(string(t))
	case json.Delim:
		switch t {
		case '[':
			var items []jinja.Value
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return jinja.UndefinedValue(), err
				}
				items = append(items, v)
			}
			if _, err := dec.Token(); err != nil {
				return jinja.UndefinedValue(), err
			}
			return jinja.ListValue(items), nil
		case '{':
			d := jinja.NewDict()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return jinja.UndefinedValue(), err
				}
				k, ok := kt.(string)
				if !ok {
					return jinja.UndefinedValue(), fmt.Errorf("object key %v is not a string", kt)
				}
				v, err := decodeValue(dec)
				if err != nil {
					return jinja.UndefinedValue(), err
				}
				d.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return jinja.UndefinedValue(), err
			}
			return jinja.DictValue(d), nil
		}
	}
	return jinja.UndefinedValue(), fmt.Errorf("unexpected JSON token %v", tok)
}
