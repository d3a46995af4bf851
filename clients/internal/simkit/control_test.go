package simkit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestControlStyles(t *testing.T) {
	pretty := Control{Pretty: true, NoContent: true, Hint: "GET /_sim/ lists them"}
	compact := Control{ContentType: "application/json; charset=utf-8", AllowEmpty: true}

	rec := httptest.NewRecorder()
	pretty.JSON(rec, http.StatusCreated, map[string]int{"a": 1})
	if rec.Code != 201 || rec.Body.String() != "{\n  \"a\": 1\n}\n" || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("pretty = %d %q %q", rec.Code, rec.Body, rec.Header().Get("Content-Type"))
	}
	rec = httptest.NewRecorder()
	compact.JSON(rec, http.StatusOK, map[string]int{"a": 1})
	if rec.Body.String() != `{"a":1}` || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("compact = %q %q", rec.Body, rec.Header().Get("Content-Type"))
	}

	rec = httptest.NewRecorder()
	pretty.Func(func() {})(rec, nil)
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Errorf("pretty done = %d %q", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	compact.Func(func() {})(rec, nil)
	if rec.Code != http.StatusOK || rec.Body.String() != `{"ok":true}` {
		t.Errorf("compact done = %d %q", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	compact.Get(func() any { return []int{1} })(rec, nil)
	if rec.Body.String() != `[1]` {
		t.Errorf("get = %q", rec.Body)
	}

	rec = httptest.NewRecorder()
	pretty.Error(rec, http.StatusTeapot, errors.New("no tea"))
	if rec.Code != http.StatusTeapot || !strings.Contains(rec.Body.String(), `"error": "no tea"`) {
		t.Errorf("error = %d %q", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	pretty.NotFound(rec, httptest.NewRequest("GET", "/_sim/nope", nil))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "no control endpoint GET /_sim/nope; GET /_sim/ lists them") {
		t.Errorf("not found = %d %q", rec.Code, rec.Body)
	}
}

func TestControlDecode(t *testing.T) {
	type body struct {
		As string `json:"as"`
	}
	for _, tt := range []struct {
		c    Control
		in   string
		ok   bool
		want string
	}{
		{Control{}, `{"as":"alice"}`, true, "alice"},
		{Control{}, ``, false, ""},
		{Control{AllowEmpty: true}, ``, true, ""},
		{Control{AllowEmpty: true}, `{"member_id":1}`, false, ""}, // unknown fields are refused
		{Control{}, `{"as":`, false, ""},
		{Control{}, `{"as":"` + strings.Repeat("x", MaxControlBody) + `"}`, false, ""},
	} {
		var v body
		rec := httptest.NewRecorder()
		ok := tt.c.Decode(rec, httptest.NewRequest("POST", "/_sim/x", strings.NewReader(tt.in)), &v)
		if ok != tt.ok || v.As != tt.want {
			t.Errorf("decode %.40q = %v %q, want %v %q", tt.in, ok, v.As, tt.ok, tt.want)
		}
		if !ok && (rec.Code != 400 || !strings.Contains(rec.Body.String(), "read control request")) {
			t.Errorf("decode %.40q answered %d %s", tt.in, rec.Code, rec.Body)
		}
	}
}
