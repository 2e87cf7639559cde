// Command alloy-stages executes the stages of a generated Alloy `loki.process` component on log
// lines the way Alloy's internal/component/loki/process/stages runs them (read at grafana/alloy
// 66ebea8; re-implemented here, no Alloy code): Go's regexp for stage.regex, stage.replace and `|~`
// line filters, bytes.Contains for `|=`, a copy of the line per gate (match.go converts it to
// []byte), text/template for the replacement of stage.replace. With "full": true it also runs every
// template with text/template, sprig and Alloy's functions, every json stage with JMESPath, and
// stage.metrics (full.go), with the libraries at Alloy's pins. It is mlobs' cost instrument and a
// second, independent executor of the pipeline beside test/helpers/alloy-executor.ts: the stage
// tree comes in as JSON from that file's alloyStageData (River is read there, once).
//
// Input (stdin): {"mode": "run" | "work" | "bench", "stages": [...], "lines": [...], "labels": {...},
// "seconds": 2, "full": false, "linesBase64": false}, or {"mode": "necessary", "regexes": [...], "prefilters": [[[...]]]}
// for whether each prefilter (a set of literals) is a necessary condition of its regexp, and the
// best set the analysis finds (necessary.go). "run" prints one result per line (extracted map,
// labels, line, structured metadata, drop, regex stages run, metric samples); "work" runs each line
// once and prints only the count (for an instruction counter); "bench" prints the
// per-line cost of the stage work (best of three timed passes), the work done per line, and the
// measured cost of one goroutine hand-off, which Alloy's runtime adds for every stage an entry
// enters (pipeline.go RunWith: one goroutine and one unbuffered channel per stage), reported apart.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/jmespath-community/go-jmespath"
)

type matcherJSON struct {
	Name  string `json:"name"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

type filterJSON struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

type partJSON struct {
	Text *string `json:"text,omitempty"`
	Key  *string `json:"key,omitempty"`
}

type stageJSON struct {
	Kind        string        `json:"kind"`
	What        string        `json:"what"`
	Expression  string        `json:"expression"`
	Source      *string       `json:"source"`
	Replace     string        `json:"replace"`
	Matchers    []matcherJSON `json:"matchers"`
	Filters     []filterJSON  `json:"filters"`
	Drop        bool          `json:"drop"`
	Reason      string        `json:"reason"`
	Stages      []stageJSON   `json:"stages"`
	Op          string        `json:"op"`
	Values      [][2]string   `json:"values"`
	Expressions [][2]string   `json:"expressions"`
	Parts       []partJSON    `json:"parts"`
	Template    string        `json:"template"`
	Simple      bool          `json:"simple"`
	Metrics     []metricJSON  `json:"metrics"`
	Rate        float64       `json:"rate"`
	Burst       float64       `json:"burst"`
	ByLabel     *string       `json:"byLabel"`
}

type input struct {
	Mode   string      `json:"mode"`
	Stages []stageJSON `json:"stages"`
	Lines  []string    `json:"lines"`
	// LinesBase64: the lines as base64, so a line can hold bytes that are not UTF-8 (JSON text
	// cannot: Go's decoder turns them into U+FFFD), as a log file can
	LinesBase64 bool              `json:"linesBase64"`
	Labels      map[string]string `json:"labels"`
	Seconds     float64           `json:"seconds"`
	Regexes     []string          `json:"regexes"`
	Prefilters  [][][]string      `json:"prefilters"`
	// Full: run every template (text/template with sprig and Alloy's functions) and every json
	// stage (JMESPath), as Alloy does; otherwise only literal templates and top-level JSON keys,
	// the subset test/helpers/alloy-executor.ts runs.
	Full bool `json:"full"`
}

// ---------------------------------------------------------------- executable stages

type matcher struct {
	name string
	test func(string) bool
}

type lineFilter struct {
	op   string
	text []byte
	re   *regexp.Regexp
}

type bucket struct{ tokens, last float64 }

type stage struct {
	kind     string
	what     string
	re       *regexp.Regexp
	names    []string
	source   *string
	tmpl     *template.Template
	matchers []matcher
	filters  []lineFilter
	drop     bool
	reason   string
	stages   []*stage
	op       string
	values   [][2]string
	exprs    [][2]string
	jmes     []namedJMES
	metrics  []metricJSON
	tmpl2    *template.Template
	parts    []partJSON
	rate     float64
	burst    float64
	byLabel  *string
	buckets  map[string]*bucket
}

func compileMatcher(m matcherJSON) (matcher, error) {
	switch m.Op {
	case "=":
		v := m.Value
		return matcher{m.Name, func(s string) bool { return s == v }}, nil
	case "!=":
		v := m.Value
		return matcher{m.Name, func(s string) bool { return s != v }}, nil
	case "=~", "!~":
		// Prometheus' labels.Matcher: the regex is anchored at both ends. Its FastRegexMatcher
		// answers literal sets and `.+` without a regex run; a remembered answer per value costs
		// the same order (label values repeat).
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return matcher{}, err
		}
		seen := map[string]bool{}
		neg := m.Op == "!~"
		return matcher{m.Name, func(s string) bool {
			hit, ok := seen[s]
			if !ok {
				hit = re.MatchString(s)
				if len(seen) < 1024 {
					seen[s] = hit
				}
			}
			return hit != neg
		}}, nil
	}
	return matcher{}, fmt.Errorf("bad label matcher %q", m.Op)
}

type namedJMES struct {
	name string
	expr jmespath.JMESPath
}

func compile(list []stageJSON, full bool) ([]*stage, error) {
	out := make([]*stage, 0, len(list))
	for _, j := range list {
		s := &stage{kind: j.Kind, what: j.What, source: j.Source}
		var err error
		switch j.Kind {
		case "regex", "replace":
			if s.re, err = regexp.Compile(j.Expression); err != nil {
				return nil, fmt.Errorf("%s: %w", j.What, err)
			}
			s.names = s.re.SubexpNames()
			if j.Kind == "replace" {
				if s.tmpl, err = template.New("replace").Parse(j.Replace); err != nil {
					return nil, err
				}
			}
		case "match":
			for _, m := range j.Matchers {
				cm, err := compileMatcher(m)
				if err != nil {
					return nil, err
				}
				s.matchers = append(s.matchers, cm)
			}
			for _, f := range j.Filters {
				lf := lineFilter{op: f.Op, text: []byte(f.Text)}
				if f.Op == "|~" || f.Op == "!~" {
					if lf.re, err = regexp.Compile(f.Text); err != nil {
						return nil, err
					}
				}
				s.filters = append(s.filters, lf)
			}
			s.drop, s.reason = j.Drop, j.Reason
			if s.stages, err = compile(j.Stages, full); err != nil {
				return nil, err
			}
		case "labels":
			s.op, s.values = j.Op, j.Values
		case "json":
			switch {
			case full:
				for _, kv := range j.Expressions {
					e, err := jmespath.Compile(kv[1])
					if err != nil {
						return nil, fmt.Errorf("json %s: %w", kv[0], err)
					}
					s.jmes = append(s.jmes, namedJMES{kv[0], e})
				}
			case j.Simple:
				s.exprs = j.Expressions
			default:
				s.kind = "other"
			}
		case "template":
			switch {
			case full:
				if s.tmpl2, err = template.New("template").Funcs(templateFuncs).Parse(j.Template); err != nil {
					return nil, fmt.Errorf("template %s: %w", *j.Source, err)
				}
			case j.Parts != nil:
				s.parts = j.Parts
			default:
				s.kind = "other"
			}
		case "limit":
			s.rate, s.burst, s.byLabel, s.buckets = j.Rate, j.Burst, j.ByLabel, map[string]*bucket{}
		case "metadata":
			s.values = j.Values
		case "metrics":
			if full {
				s.metrics = j.Metrics
			} else {
				s.kind = "other"
			}
		case "other":
		default:
			return nil, fmt.Errorf("unknown stage kind %q", j.Kind)
		}
		out = append(out, s)
	}
	return out, nil
}

// ---------------------------------------------------------------- one entry through the stages

type entry struct {
	line      string
	labels    map[string]string
	extracted map[string]any
	metadata  map[string]string
	at        float64
	dropped   *string
	// work done, for the record
	regexRuns      []string
	regexCount     int
	regexOnValue   int // of regexCount, runs on an extracted value (`source`), not on the line
	replaceCount   int
	gateRegex      int
	gateContains   int
	entered        int
	templateErrors int
	samples        []sample
	record         bool
	// split pass of bench: time inside stage.regex, and the text each run had to scan (up to and
	// including the first position of its match, or the whole input)
	split   bool
	regexNs int64
	scans   []string
}

func (e *entry) gate(matchers []matcher, filters []lineFilter) bool {
	for _, m := range matchers {
		if !m.test(e.labels[m.name]) {
			return false
		}
	}
	if len(filters) == 0 {
		return true
	}
	line := []byte(e.line) // match.go: m.filter([]byte(e.Line))
	for _, f := range filters {
		var hit bool
		if f.re != nil {
			e.gateRegex++
			hit = f.re.Match(line)
		} else {
			e.gateContains++
			hit = bytes.Contains(line, f.text)
		}
		if hit != (f.op == "|=" || f.op == "|~") {
			return false
		}
	}
	return true
}

// input: the line, or the value of the stage's source as text (util.go's getString); false when
// the source is not in the extracted map or is no text (the stage then does nothing).
func (e *entry) input(source *string) (string, bool) {
	if source == nil {
		return e.line, true
	}
	v, ok := e.extracted[*source]
	if !ok {
		return "", false
	}
	str, err := getString(v)
	return str, err == nil
}

func (e *entry) run(list []*stage) {
	for _, s := range list {
		if e.dropped != nil {
			return
		}
		e.entered++
		switch s.kind {
		case "regex":
			in, ok := e.input(s.source)
			if !ok {
				continue
			}
			e.regexCount++
			if s.source != nil {
				e.regexOnValue++
			}
			if e.record {
				e.regexRuns = append(e.regexRuns, s.what)
			}
			var m []string
			if e.split {
				t0 := time.Now()
				m = s.re.FindStringSubmatch(in)
				e.regexNs += time.Since(t0).Nanoseconds()
				scanned := in
				if loc := s.re.FindStringIndex(in); loc != nil && loc[0] < len(in) {
					scanned = in[:loc[0]+1]
				}
				e.scans = append(e.scans, scanned)
			} else {
				m = s.re.FindStringSubmatch(in)
			}
			if m == nil {
				continue
			}
			for i, name := range s.names {
				if i != 0 && name != "" {
					e.extracted[name] = m[i]
				}
			}
		case "replace":
			e.replaceCount++
			in, ok := e.input(s.source)
			if !ok {
				continue
			}
			_ = s.re.FindStringSubmatch(in) // replace.go runs both
			all := s.re.FindAllStringSubmatchIndex(in, -1)
			if all == nil {
				continue
			}
			td := make(map[string]string, len(e.extracted)+1)
			for k, v := range e.extracted {
				if str, err := getString(v); err == nil {
					td[k] = str
				}
			}
			var result strings.Builder
			prev := 0
			for _, idx := range all {
				for i := 2; i < len(idx); i += 2 {
					if idx[i] == -1 {
						continue
					}
					td["Value"] = in[idx[i]:idx[i+1]]
					var buf bytes.Buffer
					if err := s.tmpl.Execute(&buf, td); err != nil {
						panic(err)
					}
					if prev == 0 || prev <= idx[i] {
						result.WriteString(in[prev:idx[i]])
						result.Write(buf.Bytes())
						prev = idx[i+1]
					}
				}
			}
			result.WriteString(in[prev:])
			if s.source != nil {
				e.extracted[*s.source] = result.String()
			} else {
				e.line = result.String()
			}
		case "match":
			if !e.gate(s.matchers, s.filters) {
				continue
			}
			if s.drop {
				r := s.reason
				e.dropped = &r
				continue
			}
			e.run(s.stages)
		case "labels":
			switch s.op {
			case "from_extracted":
				for _, kv := range s.values {
					if v, ok := e.extracted[kv[1]]; ok {
						if str, err := getString(v); err == nil && utf8.ValidString(str) {
							e.labels[kv[0]] = str
						}
					}
				}
			case "static":
				for _, kv := range s.values {
					e.labels[kv[0]] = kv[1]
				}
			case "drop":
				for _, kv := range s.values {
					delete(e.labels, kv[0])
				}
			case "keep":
				keep := map[string]bool{}
				for _, kv := range s.values {
					keep[kv[0]] = true
				}
				for k := range e.labels {
					if !keep[k] {
						delete(e.labels, k)
					}
				}
			}
		case "metrics":
			e.recordMetrics(s)
		case "json":
			if s.jmes != nil {
				e.jsonFull(s)
				continue
			}
			var doc map[string]any
			if json.Unmarshal([]byte(e.line), &doc) != nil || doc == nil {
				continue
			}
			for _, kv := range s.exprs {
				v, ok := doc[kv[1]]
				if !ok || v == nil {
					continue
				}
				if str, isStr := v.(string); isStr {
					e.extracted[kv[0]] = str
				} else {
					b, _ := json.Marshal(v)
					e.extracted[kv[0]] = string(b)
				}
			}
		case "template":
			if s.tmpl2 != nil {
				e.templateFull(s)
				continue
			}
			var b strings.Builder
			for _, p := range s.parts {
				if p.Text != nil {
					b.WriteString(*p.Text)
				} else if v, ok := e.extracted[*p.Key]; ok {
					str, _ := getString(v)
					b.WriteString(str)
				} else {
					b.WriteString("<no value>")
				}
			}
			if b.Len() == 0 {
				delete(e.extracted, *s.source)
			} else {
				e.extracted[*s.source] = b.String()
			}
		case "limit":
			key := ""
			if s.byLabel != nil {
				v, ok := e.labels[*s.byLabel]
				if !ok {
					continue
				}
				key = v
			}
			b := s.buckets[key]
			if b == nil {
				b = &bucket{tokens: s.burst, last: e.at}
				s.buckets[key] = b
			}
			b.tokens = min(s.burst, b.tokens+max(0, e.at-b.last)*s.rate)
			b.last = max(b.last, e.at)
			if b.tokens >= 1 {
				b.tokens--
			} else {
				r := "ratelimit_drop_stage"
				e.dropped = &r
			}
		case "metadata":
			for _, kv := range s.values {
				if v, ok := e.extracted[kv[1]]; ok {
					if str, err := getString(v); err == nil && utf8.ValidString(str) {
						e.metadata[kv[0]] = str
					}
				}
			}
			for _, kv := range s.values {
				if v, ok := e.labels[kv[1]]; ok {
					e.metadata[kv[0]] = v
					delete(e.labels, kv[1])
				}
			}
		}
	}
}

func newEntry(line string, labels map[string]string, record bool) *entry {
	e := &entry{line: line, labels: make(map[string]string, len(labels)+4), extracted: make(map[string]any, 64), metadata: map[string]string{}, record: record}
	for k, v := range labels {
		e.labels[k] = v
		e.extracted[k] = v // pipeline.go: the extracted map starts with the labels
	}
	return e
}

// ---------------------------------------------------------------- modes

type result struct {
	Extracted map[string]string `json:"extracted"`
	Labels    map[string]string `json:"labels"`
	Line      string            `json:"line"`
	Metadata  map[string]string `json:"structuredMetadata"`
	Dropped   *string           `json:"dropped"`
	RegexRuns []string          `json:"regexRuns"`
	Samples   []sample          `json:"samples"`
	// Templates Go refused to execute (Alloy logs them at debug level and leaves the key as it was).
	TemplateErrors int `json:"templateErrors"`
}

// handOffNs measures one goroutine hand-off through an unbuffered channel, as Alloy's RunWith
// chains stages: a chain of 100 forwarding goroutines, 20000 entries.
func handOffNs() float64 {
	const chain, entries = 100, 20000
	in := make(chan int)
	c := in
	for i := 0; i < chain; i++ {
		next := make(chan int)
		go func(a <-chan int, b chan<- int) {
			for v := range a {
				b <- v
			}
			close(b)
		}(c, next)
		c = next
	}
	t0 := time.Now()
	go func() {
		for i := 0; i < entries; i++ {
			in <- i
		}
		close(in)
	}()
	for range c {
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(chain*entries)
}

// scanFloorNs: nanoseconds one FindStringSubmatch of the pattern takes over all the texts (best of
// three passes of at least seconds/3).
func scanFloorNs(pattern string, texts []string, seconds float64) float64 {
	re := regexp.MustCompile(pattern)
	best := 0.0
	for pass := 0; pass < 3; pass++ {
		n := 0
		t0 := time.Now()
		for n == 0 || time.Since(t0).Seconds() < seconds/3 {
			for _, t := range texts {
				if re.FindStringSubmatch(t) != nil {
					panic("the floor pattern matched " + t)
				}
			}
			n++
		}
		ns := float64(time.Since(t0).Nanoseconds()) / float64(n)
		if pass == 0 || ns < best {
			best = ns
		}
	}
	return best
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "alloy-stages: cannot read the input:", err)
		os.Exit(2)
	}
	if in.Mode == "necessary" {
		out := make([]necessaryResult, 0, len(in.Regexes))
		for i, r := range in.Regexes {
			var prefilters [][]string
			if i < len(in.Prefilters) {
				prefilters = in.Prefilters[i]
			}
			res, err := necessary(r, prefilters)
			if err != nil {
				fmt.Fprintln(os.Stderr, "alloy-stages:", err)
				os.Exit(2)
			}
			out = append(out, res)
		}
		_ = json.NewEncoder(os.Stdout).Encode(out)
		return
	}
	if in.LinesBase64 {
		for i, l := range in.Lines {
			b, err := base64.StdEncoding.DecodeString(l)
			if err != nil {
				fmt.Fprintln(os.Stderr, "alloy-stages: a line is not base64:", err)
				os.Exit(2)
			}
			in.Lines[i] = string(b)
		}
	}
	stages, err := compile(in.Stages, in.Full)
	if err != nil {
		fmt.Fprintln(os.Stderr, "alloy-stages:", err)
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	switch in.Mode {
	case "run":
		results := make([]result, 0, len(in.Lines))
		for _, l := range in.Lines {
			e := newEntry(l, in.Labels, true)
			e.run(stages)
			out := make(map[string]string, len(e.extracted))
			for k, v := range e.extracted {
				if str, err := getString(v); err == nil {
					out[k] = str // a value getString cannot give (null) is left out
				}
			}
			results = append(results, result{out, e.labels, e.line, e.metadata, e.dropped, e.regexRuns, e.samples, e.templateErrors})
		}
		_ = out.Encode(results)
	case "work":
		// each line once through the stages and nothing printed: what an instruction counter
		// (valgrind) run on this mode counts is the stage work (test/helpers/go-alloy.ts)
		for _, l := range in.Lines {
			newEntry(l, in.Labels, false).run(stages)
		}
		_ = out.Encode(map[string]int{"lines": len(in.Lines)})
	case "bench":
		seconds := in.Seconds
		if seconds <= 0 {
			seconds = 2
		}
		var work entry
		for _, l := range in.Lines { // warm-up, and the work done per line
			e := newEntry(l, in.Labels, false)
			e.run(stages)
			work.regexCount += e.regexCount
			work.regexOnValue += e.regexOnValue
			work.replaceCount += e.replaceCount
			work.gateRegex += e.gateRegex
			work.gateContains += e.gateContains
			work.entered += e.entered
		}
		best := 0.0
		for pass := 0; pass < 3; pass++ {
			n := 0
			t0 := time.Now()
			for time.Since(t0).Seconds() < seconds/3 {
				for _, l := range in.Lines {
					newEntry(l, in.Labels, false).run(stages)
				}
				n += len(in.Lines)
			}
			us := float64(time.Since(t0).Nanoseconds()) / 1e3 / float64(n)
			if pass == 0 || us < best {
				best = us
			}
		}
		// where the time goes: passes timing each stage.regex call (some 7 a line: the clock's own
		// cost is small beside them), and the least any regexp could cost on the same texts
		var regexNs int64 = -1
		var scans []string
		for pass := 0; pass < 3; pass++ { // the least of three passes, as usPerLine
			var ns int64
			scans = scans[:0]
			for _, l := range in.Lines {
				e := newEntry(l, in.Labels, false)
				e.split = true
				e.run(stages)
				ns += e.regexNs
				scans = append(scans, e.scans...)
			}
			if regexNs < 0 || ns < regexNs {
				regexNs = ns
			}
		}
		scanned := 0
		for _, t := range scans {
			scanned += len(t)
		}
		perLineUs := func(ns float64) float64 { return ns / 1e3 / float64(len(in.Lines)) }
		per := func(n int) float64 { return float64(n) / float64(len(in.Lines)) }
		_ = out.Encode(map[string]float64{
			"usPerLine":        best,
			"regexRuns":        per(work.regexCount),
			"regexOnValueRuns": per(work.regexOnValue),
			"replaceRuns":      per(work.replaceCount),
			"gateRegexRuns":    per(work.gateRegex),
			"gateContains":     per(work.gateContains),
			"stagesEntered":    per(work.entered),
			"handOffNs":        handOffNs(),
			"regexUs":          perLineUs(float64(regexNs)),
			"scannedBytes":     per(scanned),
			// a pattern led by a character class (the least a pattern that does not begin with a
			// literal costs: Go's backtracker is entered at every position) and one led by a
			// literal (Go's regexp jumps to its occurrences), on the texts the stage.regex runs
			// scanned; neither ever matches
			"regexFloorUs":   perLineUs(scanFloorNs(`(?P<f>[\x00\x01]\x02)`, scans, seconds/6)),
			"literalFloorUs": perLineUs(scanFloorNs(`(?P<f>\x00\x02)`, scans, seconds/6)),
		})
	default:
		fmt.Fprintf(os.Stderr, "alloy-stages: mode %q is not run, work or bench\n", in.Mode)
		os.Exit(2)
	}
}
