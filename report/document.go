package report

import "time"

// Document is what the sinks deliver: one unit's *Report, or the
// *FleetReport of several.
type Document interface {
	// Render renders the document as markdown or JSON.
	Render(f Format) ([]byte, error)
	// Headline is what a sink shows or files the document by.
	Headline() Headline
}

var (
	_ Document = (*Report)(nil)
	_ Document = (*FleetReport)(nil)
)

// Headline is a document's first line, in parts: a webhook posts a JSON
// document as "STATUS NAME: VERDICT" and the document in a code block; a
// file sink names the file by GeneratedAt.
type Headline struct {
	Status  Status
	Name    string
	Verdict string
	// GeneratedAt is the document's time; zero when unknown.
	GeneratedAt time.Time
}

// Headline returns the report's status, name, verdict and time.
func (r *Report) Headline() Headline {
	return Headline{Status: r.Status, Name: r.Name, Verdict: r.Verdict, GeneratedAt: r.GeneratedAt}
}
