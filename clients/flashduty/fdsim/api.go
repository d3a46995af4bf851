package fdsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/snowduty/snowduty/clients/internal/simkit"
)

// apiError is an error envelope with its HTTP status.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func invalid(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "InvalidParameter", Message: fmt.Sprintf(format, args...)}
}

func notFound() *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "ResourceNotFound", Message: "The resource you request is not found"}
}

// apiCall is one Open API request being served.
type apiCall struct {
	body      []byte
	requestID string
	// actor is the person id the key acts as: the key's member, or the
	// account id for an account-level key (account set). Writes record it
	// as creator_id in the feed and as member_id in the audit log.
	actor   int64
	account bool
}

// decode reads the JSON body into v; an empty body reads as {}.
func (c *apiCall) decode(v any) *apiError {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return invalid("The request body is not valid JSON for this endpoint: %v", err)
	}
	return nil
}

type handler func(s *Server, c *apiCall) (any, *apiError)

// routes maps every Open API path the simulator serves to its handler.
var routes = map[string]handler{
	"/incident/list":          (*Server).apiList,
	"/incident/list-by-ids":   (*Server).apiListByIDs,
	"/incident/info":          (*Server).apiInfo,
	"/incident/feed":          (*Server).apiFeed,
	"/incident/create":        (*Server).apiCreate,
	"/incident/reset":         (*Server).apiReset,
	"/incident/field/reset":   (*Server).apiFieldReset,
	"/incident/ack":           (*Server).apiAck,
	"/incident/unack":         (*Server).apiUnack,
	"/incident/resolve":       (*Server).apiResolve,
	"/incident/reopen":        (*Server).apiReopen,
	"/incident/snooze":        (*Server).apiSnooze,
	"/incident/wake":          (*Server).apiWake,
	"/incident/comment":       (*Server).apiComment,
	"/field/list":             (*Server).apiFieldList,
	"/field/info":             (*Server).apiFieldInfo,
	"/channel/list":           (*Server).apiChannelList,
	"/channel/info":           (*Server).apiChannelInfo,
	"/channel/infos":          (*Server).apiChannelInfos,
	"/member/info":            (*Server).apiMemberInfo,
	"/account/info":           (*Server).apiAccountInfo,
	"/person/infos":           (*Server).apiPersonInfos,
	"/audit/search":           (*Server).apiAuditSearch,
	"/incident/alert/list":    (*Server).apiAlertList,
	"/incident/assign":        (*Server).apiAssign,
	"/incident/responder/add": (*Server).apiResponderAdd,
	"/team/infos":             (*Server).apiTeamInfos,
	"/incident/past/list":     (*Server).apiPastList,
	"/webhook/history/list":   (*Server).apiWebhookHistory,
	"/incident/merge":         (*Server).apiMerge,
	"/incident/remove":        (*Server).apiRemove,
}

const maxRequestBody = 1 << 20

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	reqID := s.newRequestID()
	limited, retryAfter := s.rateLimited(time.Now())
	var f *Fault
	if !limited {
		if taken, ok := s.kit.Faults.Take(r.Method, r.URL.Path); ok {
			f = &taken
		}
	}
	s.mu.Unlock()

	if limited {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeEnvelope(w, reqID, nil, &apiError{Status: http.StatusTooManyRequests, Code: "RequestTooFrequently", Message: "Request too frequently."})
		return
	}
	if f != nil && f.Delay > 0 && !simkit.Sleep(r.Context(), f.Delay) {
		return
	}
	if f != nil && !f.AfterApply && f.respond(w, reqID) {
		return
	}
	data, aerr := s.dispatch(r, reqID)
	if f != nil && f.AfterApply && f.respond(w, reqID) {
		return
	}
	writeEnvelope(w, reqID, data, aerr)
}

// dispatch checks the route, method, key and content type, then runs the
// handler.
func (s *Server) dispatch(r *http.Request, reqID string) (any, *apiError) {
	h, known := routes[r.URL.Path]
	if !known {
		return nil, &apiError{Status: http.StatusNotFound, Code: "RouteNotFound", Message: "The route " + r.URL.Path + " is not found."}
	}
	if r.Method != http.MethodPost {
		return nil, &apiError{Status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed", Message: "Method " + r.Method + " is not allowed; use POST."}
	}
	s.mu.Lock()
	who, ok := s.keys[r.URL.Query().Get("app_key")]
	s.mu.Unlock()
	if !ok {
		return nil, &apiError{Status: http.StatusUnauthorized, Code: "Unauthorized", Message: "You are unauthorized."}
	}
	var body []byte
	if r.Body != nil { // nil only for requests made in process without one
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1)); err != nil {
			return nil, &apiError{Status: http.StatusBadRequest, Code: "BadRequest", Message: "read body: " + err.Error()}
		}
	}
	// A bodyless POST without a Content-Type is accepted (go-flashduty
	// sends /member/info so, and the live API answers it; vendor-clients
	// fact 2): it reads as {}, and an endpoint with required parameters
	// then says which is missing. InvalidContentType is for a wrong type.
	if ct := r.Header.Get("Content-Type"); ct != "" || len(body) > 0 {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil, &apiError{Status: http.StatusBadRequest, Code: "InvalidContentType", Message: "Content-Type must be application/json."}
		}
	}
	if len(body) > maxRequestBody {
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Code: "EntityTooLarge", Message: "The request body is too large."}
	}
	return h(s, &apiCall{body: body, requestID: reqID, actor: who.id, account: who.account})
}

type envelope struct {
	RequestID string         `json:"request_id"`
	Data      any            `json:"data,omitempty"`
	Error     *envelopeError `json:"error,omitempty"`
}

type envelopeError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeEnvelope writes the success or error envelope with the request id
// header. Empty write answers carry "data": {} as in the documented
// examples.
func writeEnvelope(w http.ResponseWriter, reqID string, data any, aerr *apiError) {
	env := envelope{RequestID: reqID}
	status := http.StatusOK
	if aerr != nil {
		env.Error = &envelopeError{Code: aerr.Code, Message: aerr.Message}
		status = aerr.Status
	} else if data == nil {
		env.Data = struct{}{}
	} else {
		env.Data = data
	}
	writeJSON(w, status, reqID, env)
}

func writeJSON(w http.ResponseWriter, status int, reqID string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"request_id":"` + reqID + `","error":{"code":"InternalError","message":"encode response"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if reqID != "" {
		w.Header().Set("Flashcat-Request-Id", reqID)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
