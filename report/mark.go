package report

import "github.com/smartlic/reconciler/state"

// MarkDelivered starts the next report's period at r: it records r's time
// and the Railway request counter at r in st.Report, and resets st.Summary
// to begin at r's time. Call it on the reconciler's live state (under its
// lock) once r has been delivered, whatever the sinks answered: a sink that
// keeps failing must not make every later report cover an ever longer
// period. Probe rounds counted between Build and MarkDelivered are dropped
// from the summary (seconds, normally).
func MarkDelivered(st *state.State, r *Report) {
	st.Report.LastAt = r.GeneratedAt
	st.Report.RequestsAtLast = r.requestsTotal
	st.Summary.Reset(r.GeneratedAt)
}
