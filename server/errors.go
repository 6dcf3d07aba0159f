package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// apiError is an error in OpenAI's shape:
// {"error": {"message", "type", "param", "code"}}.
type apiError struct {
	Status  int     `json:"-"`
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (e *apiError) Error() string { return e.Message }

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// invalid is a 400 invalid_request_error about param.
func invalid(param, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...), Type: "invalid_request_error", Param: strp(param)}
}

// unsupported is the 400 for a field we do not implement: never ignored.
func unsupported(field string) *apiError {
	e := invalid(field, "unsupported field %q: llmpipe does not implement it (it is rejected rather than ignored)", field)
	e.Code = strp("unsupported_field")
	return e
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]*apiError{"error": e}) //nolint:errcheck // the client may be gone
}

// decodeBody decodes a JSON object into v after checking its top-level
// keys against allowed: an unknown key is an unsupported field. Nested
// objects refuse unknown keys too; a wrong type names its field.
func decodeBody(body []byte, allowed map[string]bool, v any) *apiError {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return jsonError(err)
	}
	if top == nil {
		return invalid("", "the request body must be a JSON object, not null")
	}
	for k := range top {
		if !allowed[k] {
			return unsupported(k)
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError turns a decoding error into a 400 naming the field at fault.
func jsonError(err error) *apiError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return invalid("", "the request body must be a JSON object, not %s", te.Value)
		}
		return invalid(field, "field %q: expected %s, got JSON %s", field, typeName(te.Type.String()), te.Value)
	case errors.As(err, &se):
		return invalid("", "malformed JSON at byte %d: %v", se.Offset, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return unsupported(f)
	}
	return invalid("", "malformed JSON: %v", err)
}

func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "*"):
		return typeName(goType[1:])
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "map["):
		return "an object"
	}
	return "an object"
}
