package main

import (
	"regexp/syntax"
	"sort"
	"strings"
	"unicode"
)

// Necessary literals of a regexp: a query of literal strings (AND/OR of "the text contains one of
// these strings") that every text the regexp matches satisfies, computed on the syntax tree as
// Go's regexp parses the expression (regexp/syntax, Perl flags). The analysis is sound: it only
// ever drops knowledge (an unbounded or wide node adds no condition), never invents it. mlobs uses
// it to prove that a catalog prefilter is a necessary condition of its pattern on every line,
// not only on the corpus lines: the prefilter P holds when the query implies "the text contains
// a literal of P".

const (
	maxExact   = 64 // strings kept in an exact set
	maxClass   = 16 // runes of a character class expanded
	maxLiteral = 64 // bytes of a string in an exact set
)

// query: 'T' (no condition), 'S' (contains one of set), 'P' (contains x+y for some x of set
// and y of then), 'A' (all of sub), 'O' (one of sub).
type query struct {
	op   byte
	set  []string
	then []string
	sub  []*query
}

var anything = &query{op: 'T'}

func and(parts []*query) *query {
	var keep []*query
	for _, p := range parts {
		if p.op != 'T' {
			keep = append(keep, p)
		}
	}
	switch len(keep) {
	case 0:
		return anything
	case 1:
		return keep[0]
	}
	return &query{op: 'A', sub: keep}
}

func or(parts []*query) *query {
	for _, p := range parts {
		if p.op == 'T' {
			return anything
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return &query{op: 'O', sub: parts}
}

// facts about one node: the exact set of texts it matches (nil: not small or unknown); sets every
// non-empty match starts with (prefix) and ends with (suffix) (nil: unknown); whether it can match
// the empty text; and a necessary query of its non-empty matches besides (nil: none).
type facts struct {
	exact, prefix, suffix []string
	nullable              bool
	need                  *query
}

func exactly(set []string) facts {
	f := facts{exact: set, prefix: set, suffix: set}
	for _, s := range set {
		if s == "" {
			f.nullable = true
		}
	}
	return f
}

// query: what every match of the node holds (nothing for a node that can match the empty text).
func (f facts) query() *query {
	if f.nullable {
		return anything
	}
	parts := []*query{}
	if f.need != nil {
		parts = append(parts, f.need)
	}
	for _, set := range [][]string{f.exact, f.prefix, f.suffix} {
		if s := asSet(set); s != nil {
			parts = append(parts, &query{op: 'S', set: s})
		}
	}
	return and(parts)
}

func uniq(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func foldVariants(r []rune) []string {
	out := []string{""}
	for _, c := range r {
		var next []string
		variants := []rune{c}
		for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
			variants = append(variants, f)
		}
		for _, p := range out {
			for _, v := range variants {
				next = append(next, p+string(v))
			}
		}
		if len(next) > maxExact {
			return nil
		}
		out = next
	}
	return uniq(out)
}

// asSet: a set as a necessary condition, unless it holds the empty string (no condition).
func asSet(set []string) []string {
	if set == nil {
		return nil
	}
	for _, s := range set {
		if s == "" {
			return nil
		}
	}
	return set
}

// cut keeps the last (suffix) or first n runes of each string.
func cut(set []string, n int, last bool) []string {
	out := make([]string, 0, len(set))
	for _, s := range set {
		r := []rune(s)
		if len(r) > n {
			if last {
				r = r[len(r)-n:]
			} else {
				r = r[:n]
			}
		}
		out = append(out, string(r))
	}
	return uniq(out)
}

// cuts: the products of a cut to its last runes and b cut to its first (a text holding a+b holds
// both cut) that fit, one per length of b's cut, longest first (each keeps the longest a that
// fits with it). nil when a or b is unknown.
func cuts(a, b []string) [][]string {
	if a == nil || b == nil {
		return nil
	}
	longest := func(set []string) int {
		m := 0
		for _, s := range set {
			if n := len([]rune(s)); n > m {
				m = n
			}
		}
		return m
	}
	var out [][]string
	for k := longest(b); k >= 0; k-- {
		b2 := cut(b, k, false)
		for n := longest(a); n >= 0; n-- {
			a2 := cut(a, n, true)
			if len(a2)*len(b2) > maxExact {
				continue
			}
			p := make([]string, 0, len(a2)*len(b2))
			for _, x := range a2 {
				for _, y := range b2 {
					p = append(p, x+y)
				}
			}
			out = append(out, uniq(p))
			break
		}
	}
	return out
}

// product of every a then every b, cut to fit as in cuts, keeping the whole of b when it can
// (nil: unknown or nothing fits).
func product(a, b []string) []string {
	if c := cuts(a, b); len(c) > 0 {
		return c[0]
	}
	return nil
}

// trimmedUnion: the union of prefix (last=false) or suffix (last=true) sets, its strings cut to
// their first or last runes until it fits (a text starting with "abc" starts with "ab"); nil when
// one set is unknown.
func trimmedUnion(last bool, sets ...[]string) []string {
	var all []string
	longest := 0
	for _, s := range sets {
		if s == nil {
			return nil
		}
		for _, v := range s {
			all = append(all, v)
			if n := len([]rune(v)); n > longest {
				longest = n
			}
		}
	}
	for n := longest; n >= 0; n-- {
		if u := cut(all, n, last); len(u) <= maxExact {
			return u
		}
	}
	return nil
}

// without: the set less one string (nil stays nil).
func without(set []string, drop string) []string {
	if set == nil {
		return nil
	}
	out := []string{}
	for _, v := range set {
		if v != drop {
			out = append(out, v)
		}
	}
	return out
}

// union of sets, nil when one is unknown or the union is too big.
func union(sets ...[]string) []string {
	var out []string
	for _, s := range sets {
		if s == nil {
			return nil
		}
		out = append(out, s...)
	}
	out = uniq(out)
	if len(out) > maxExact {
		return nil
	}
	return out
}

func analyze(re *syntax.Regexp) facts {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return exactly([]string{""})
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			if v := foldVariants(re.Rune); v != nil {
				return exactly(v)
			}
			// too many case variants: the longest head and tail whose variants fit
			f := facts{}
			for n := len(re.Rune) - 1; n > 0 && f.prefix == nil; n-- {
				f.prefix = foldVariants(re.Rune[:n])
			}
			for n := len(re.Rune) - 1; n > 0 && f.suffix == nil; n-- {
				f.suffix = foldVariants(re.Rune[len(re.Rune)-n:])
			}
			return f
		}
		return exactly([]string{string(re.Rune)})
	case syntax.OpCharClass:
		n := 0
		for i := 0; i < len(re.Rune); i += 2 {
			n += int(re.Rune[i+1]-re.Rune[i]) + 1
			if n > maxClass {
				return facts{}
			}
		}
		var out []string
		for i := 0; i < len(re.Rune); i += 2 {
			for c := re.Rune[i]; c <= re.Rune[i+1]; c++ {
				out = append(out, string(c))
			}
		}
		return exactly(uniq(out))
	case syntax.OpCapture:
		return analyze(re.Sub[0])
	case syntax.OpQuest:
		sub := analyze(re.Sub[0])
		if e := union([]string{""}, sub.exact); e != nil {
			return exactly(e)
		}
		return facts{prefix: sub.prefix, suffix: sub.suffix, nullable: true}
	case syntax.OpStar:
		sub := analyze(re.Sub[0])
		return facts{prefix: sub.prefix, suffix: sub.suffix, nullable: true}
	case syntax.OpPlus:
		sub := analyze(re.Sub[0])
		return facts{prefix: sub.prefix, suffix: sub.suffix, nullable: sub.nullable, need: sub.query()}
	case syntax.OpRepeat:
		sub := analyze(re.Sub[0])
		if re.Min == 0 {
			return facts{prefix: sub.prefix, suffix: sub.suffix, nullable: true}
		}
		return facts{prefix: sub.prefix, suffix: sub.suffix, nullable: sub.nullable, need: sub.query()}
	case syntax.OpConcat:
		subs := make([]facts, len(re.Sub))
		for i, sub := range re.Sub {
			subs[i] = analyze(sub)
		}
		// rest[i]: a set every match of children i.. starts with, when that match is not empty
		// (nil: unknown); a child that can match empty lets the next ones' start through
		rest := make([][]string, len(subs)+1)
		for i := len(subs) - 1; i >= 0; i-- {
			f := subs[i]
			start := f.prefix
			if f.exact != nil {
				start = without(f.exact, "")
			}
			if f.nullable {
				start = asSet(trimmedUnion(false, start, rest[i+1]))
			}
			rest[i] = start
		}
		// tail: a set every match of the children so far ends with (nil: unknown); head: the
		// same for the start, grown while every child so far is exact
		var parts []*query
		tail := []string{""}
		head := []string{""}
		exact, nullable := true, true
		for i, f := range subs {
			nullable = nullable && f.nullable
			if q := f.query(); q.op != 'T' {
				parts = append(parts, q)
			}
			// what the children so far end with, then the rest starts with, is in every match
			if tail != nil && rest[i] != nil && asSet(rest[i]) != nil {
				parts = append(parts, &query{op: 'P', set: tail, then: rest[i]})
			}
			switch {
			case exact && f.exact != nil && fullProduct(head, f.exact) != nil:
				head = fullProduct(head, f.exact)
			case exact:
				// the exact run ends here: every match starts with it, then the rest's start
				exact = false
				if h := fullProduct(head, rest[i]); h != nil && !nullable {
					head = h
				}
			}
			switch {
			case f.exact != nil:
				if tail == nil {
					tail = []string{""} // the match ends with this child's text at least
				}
				tail = product(tail, f.exact)
			case f.nullable:
				// empty: the match still ends as before; else as this child ends
				if tail != nil && f.suffix != nil {
					tail = trimmedUnion(true, tail, f.suffix)
				} else {
					tail = nil
				}
			default:
				tail = f.suffix
			}
		}
		if exact {
			return exactly(head)
		}
		if nullable {
			return facts{nullable: true}
		}
		return facts{prefix: asSet(head), suffix: asSet(tail), need: and(parts)}
	case syntax.OpAlternate:
		var exact, prefixes, suffixes [][]string
		var alts []*query
		nullable := false
		for _, sub := range re.Sub {
			f := analyze(sub)
			nullable = nullable || f.nullable
			exact = append(exact, f.exact)
			prefixes = append(prefixes, f.prefix)
			suffixes = append(suffixes, f.suffix)
			alts = append(alts, f.query())
		}
		if e := union(exact...); e != nil {
			return exactly(e)
		}
		prefix, suffix := asSet(trimmedUnion(false, prefixes...)), asSet(trimmedUnion(true, suffixes...))
		if nullable {
			return facts{prefix: prefix, suffix: suffix, nullable: true}
		}
		return facts{prefix: prefix, suffix: suffix, need: or(alts)}
	}
	return facts{} // OpAnyChar, OpAnyCharNotNL, OpNoMatch (matches nothing: no condition is the safe answer)
}

// fullProduct: every a then every b, nil when too big.
func fullProduct(a, b []string) []string {
	if a == nil || b == nil || len(a)*len(b) > maxExact {
		return nil
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			if len(x)+len(y) > maxLiteral {
				return nil
			}
			out = append(out, x+y)
		}
	}
	return uniq(out)
}

// implies: every text meeting q contains one of the literals.
func implies(q *query, literals []string) bool {
	holds := func(s string) bool {
		for _, l := range literals {
			if strings.Contains(s, l) {
				return true
			}
		}
		return false
	}
	switch q.op {
	case 'P':
		for _, x := range q.set {
			if holds(x) {
				continue
			}
			for _, y := range q.then {
				if !holds(x + y) {
					return false
				}
			}
		}
		return true
	case 'S':
		for _, s := range q.set {
			hit := false
			for _, l := range literals {
				if strings.Contains(s, l) {
					hit = true
					break
				}
			}
			if !hit {
				return false
			}
		}
		return true
	case 'A':
		for _, s := range q.sub {
			if implies(s, literals) {
				return true
			}
		}
		return false
	case 'O':
		for _, s := range q.sub {
			if !implies(s, literals) {
				return false
			}
		}
		return true
	}
	return false
}

// bestSet: one set of literals the query implies (nil: none), the rarest the query gives: the
// longest shortest string, then the fewest strings.
func bestSet(q *query) []string {
	switch q.op {
	case 'P':
		if p := asSet(product(q.set, q.then)); p != nil {
			return minimal(p)
		}
		return nil
	case 'S':
		return minimal(uniq(append([]string(nil), q.set...)))
	case 'A':
		var b []string
		for _, s := range q.sub {
			if c := bestSet(s); c != nil && better(c, b) {
				b = c
			}
		}
		return b
	case 'O':
		var all []string
		for _, s := range q.sub {
			c := bestSet(s)
			if c == nil {
				return nil
			}
			all = append(all, c...)
		}
		return minimal(uniq(all))
	}
	return nil
}

func better(a, b []string) bool {
	if b == nil {
		return true
	}
	ma, mb := minLen(a), minLen(b)
	if ma != mb {
		return ma > mb
	}
	return len(a) < len(b)
}

func minLen(s []string) int {
	m := -1
	for _, v := range s {
		if m < 0 || len(v) < m {
			m = len(v)
		}
	}
	return m
}

// minimal drops a string that contains another of the set (the shorter one is implied).
func minimal(set []string) []string {
	var out []string
	for _, s := range set {
		implied := false
		for _, t := range set {
			if t != s && strings.Contains(s, t) {
				implied = true
				break
			}
		}
		if !implied {
			out = append(out, s)
		}
	}
	return out
}

// necessaryResult: per regexp, whether each prefilter asked about is implied, and a suggestion.
type necessaryResult struct {
	Implied []bool   `json:"implied"`
	Best    []string `json:"best"`
}

func necessary(expr string, prefilters [][]string) (necessaryResult, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return necessaryResult{}, err
	}
	q := analyze(re.Simplify()).query()
	res := necessaryResult{Best: bestSet(q), Implied: make([]bool, len(prefilters))}
	for i, p := range prefilters {
		res.Implied[i] = len(p) > 0 && implies(q, p)
	}
	return res, nil
}
