package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
	"golang.org/x/crypto/sha3"
)

// What Alloy's stages do with the libraries Alloy uses (read in grafana/alloy
// internal/component/loki/process/stages: template.go, json.go, util.go): the template functions
// are sprig's TxtFuncMap and Alloy's own; a json stage searches JMESPath expressions
// (jmespath-community/go-jmespath) in the decoded object and keeps numbers, strings, booleans and
// null as they are, anything else as JSON text.

var templateFuncs = func() template.FuncMap {
	m := sprig.TxtFuncMap()
	for k, v := range map[string]any{
		"ToLower":    strings.ToLower,
		"ToUpper":    strings.ToUpper,
		"Replace":    strings.Replace,
		"Trim":       strings.Trim,
		"TrimLeft":   strings.TrimLeft,
		"TrimRight":  strings.TrimRight,
		"TrimPrefix": strings.TrimPrefix,
		"TrimSuffix": strings.TrimSuffix,
		"TrimSpace":  strings.TrimSpace,
		"Hash": func(salt string, input string) string {
			hash := sha3.Sum256([]byte(salt + input))
			return hex.EncodeToString(hash[:])
		},
		"Sha2Hash": func(salt string, input string) string {
			hash := sha256.Sum256([]byte(salt + input))
			return hex.EncodeToString(hash[:])
		},
		"regexReplaceAll": func(regex string, s string, repl string) string {
			return regexp.MustCompile(regex).ReplaceAllString(s, repl)
		},
		"regexReplaceAllLiteral": func(regex string, s string, repl string) string {
			return regexp.MustCompile(regex).ReplaceAllLiteralString(s, repl)
		},
	} {
		m[k] = v
	}
	return m
}()

// getString: util.go's conversion of an extracted value to text.
func getString(unk any) (string, error) {
	switch i := unk.(type) {
	case float64:
		return strconv.FormatFloat(i, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(i), 'f', -1, 32), nil
	case int64:
		return strconv.FormatInt(i, 10), nil
	case int32:
		return strconv.FormatInt(int64(i), 10), nil
	case int:
		return strconv.Itoa(i), nil
	case uint64:
		return strconv.FormatUint(i, 10), nil
	case uint32:
		return strconv.FormatUint(uint64(i), 10), nil
	case uint:
		return strconv.FormatUint(uint64(i), 10), nil
	case string:
		return i, nil
	case bool:
		if i {
			return "true", nil
		}
		return "false", nil
	default:
		return "", fmt.Errorf("can't convert %v to string", unk)
	}
}

// templateFull: template.go's Process.
func (e *entry) templateFull(s *stage) {
	td := make(map[string]any, len(e.extracted)+2)
	for k, v := range e.extracted {
		str, err := getString(v)
		if err != nil {
			continue
		}
		td[k] = str
		if k == *s.source {
			td["Value"] = str
		}
	}
	td["Entry"] = e.line
	var buf bytes.Buffer
	if err := s.tmpl2.Execute(&buf, td); err != nil {
		e.templateErrors++
		return
	}
	if buf.Len() == 0 {
		delete(e.extracted, *s.source)
	} else {
		e.extracted[*s.source] = buf.String()
	}
}

// jsonFull: json.go's processEntry.
func (e *entry) jsonFull(s *stage) {
	input, ok := e.input(s.source)
	if !ok {
		return
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(input), &data); err != nil {
		return
	}
	for _, x := range s.jmes {
		raw, err := x.expr.Search(data)
		if err != nil {
			continue
		}
		switch raw.(type) {
		case float64, string, bool, nil:
			e.extracted[x.name] = raw
		default:
			b, err := json.Marshal(raw)
			if err != nil {
				continue
			}
			e.extracted[x.name] = string(b)
		}
	}
}

// metricJSON: one metric block of a stage.metrics (metric.go's config).
type metricJSON struct {
	Type     string  `json:"type"`
	Name     string  `json:"name"`
	Source   *string `json:"source"`
	Action   string  `json:"action"`
	MatchAll bool    `json:"matchAll"`
	Value    *string `json:"value"`
}

// sample: what one metric did for one entry: inc, set or observe, with the entry's labels.
type sample struct {
	Name   string            `json:"name"`
	Op     string            `json:"op"`
	Value  float64           `json:"value"`
	Labels map[string]string `json:"labels"`
}

// getFloat: metric.go's conversion of an extracted value to a number (a duration text in seconds).
func getFloat(unk any) (float64, error) {
	switch i := unk.(type) {
	case float64:
		return i, nil
	case string:
		f, err := strconv.ParseFloat(i, 64)
		if err != nil {
			d, err := time.ParseDuration(i)
			if err != nil {
				return 0, err
			}
			return d.Seconds(), nil
		}
		return f, nil
	case bool:
		if i {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("can't convert %v to float64", unk)
}

// recordMetrics: metric.go's Process (counters with match_all count every entry; otherwise the
// source must be in the extracted map, and equal `value` when one is set).
func (e *entry) recordMetrics(s *stage) {
	labels := make(map[string]string, len(e.labels))
	for k, v := range e.labels {
		labels[k] = v
	}
	for _, m := range s.metrics {
		if m.Type == "counter" && m.MatchAll {
			e.samples = append(e.samples, sample{m.Name, "inc", 1, labels})
			continue
		}
		if m.Source == nil {
			continue
		}
		v, ok := e.extracted[*m.Source]
		if !ok {
			continue
		}
		if m.Value != nil {
			if str, err := getString(v); err != nil || str != *m.Value {
				continue
			}
		}
		switch {
		case m.Type == "counter" && m.Action == "inc", m.Type == "gauge" && m.Action == "inc":
			e.samples = append(e.samples, sample{m.Name, "inc", 1, labels})
		case m.Type == "counter" && m.Action == "add", m.Type == "gauge" && (m.Action == "set" || m.Action == "add"), m.Type == "histogram":
			f, err := getFloat(v)
			if err != nil {
				continue
			}
			op := map[string]string{"counter": "add", "gauge": m.Action, "histogram": "observe"}[m.Type]
			e.samples = append(e.samples, sample{m.Name, op, f, labels})
		}
	}
}
