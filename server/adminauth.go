package server

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// admin guards an admin endpoint: without Config.AdminToken the admin
// endpoints are off (404 admin_off); with one, a request must carry it as
// "Authorization: Bearer TOKEN" (401 unauthorized otherwise).
func (a *api) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := a.s.cfg.AdminToken
		if token == "" {
			writeError(w, http.StatusNotFound, "admin_off", "the admin endpoints are off: start the node with --admin-token (FACTUM_ADMIN_TOKEN)")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="factum admin"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "an admin endpoint: send the admin token as Authorization: Bearer TOKEN")
			return
		}
		h(w, r)
	}
}
