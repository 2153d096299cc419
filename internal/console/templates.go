package console

import (
	"html/template"
	"io/fs"
	"strings"
	"sync"
	"time"
)

// parsedPages is parsePages, done once: the templates are embedded, and
// every console of the process (one per API handler) shares them.
var parsedPages = sync.OnceValue(parsePages)

// parsePages parses each page's template with the layout it fills and the
// parts pages share (files named _*.html).
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{"when": when, "short": short, "prefix": func() string { return Prefix }}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err) // the pattern is well formed
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, n))
	}
	return pages
}

// when prints a time in UTC to the second; nothing for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// short abbreviates a long id or address for a table: its first 10 and last
// 4 characters.
func short(s string) string {
	if len(s) <= 16 {
		return s
	}
	return s[:10] + "…" + s[len(s)-4:]
}
