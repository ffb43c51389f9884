package carbonxml

import (
	"fmt"
	"regexp"
	"strings"
)

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// maxLCS bounds the line-by-line comparison (old lines x new lines) of the
// changed middle part; beyond it the middle is shown as replaced.
const maxLCS = 4 << 20

type opKind byte

const (
	opEqual opKind = ' '
	opDel   opKind = '-'
	opIns   opKind = '+'
)

type op struct {
	kind opKind
	a, b int // line index in old (a) and new (b)
}

// splitLines splits after each "\n", keeping the line ends.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// diffLines returns an edit script turning a into b.
func diffLines(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []op
	for i := 0; i < pre; i++ {
		ops = append(ops, op{opEqual, i, i})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma)*len(mb) > maxLCS {
		for i := range ma {
			ops = append(ops, op{opDel, pre + i, pre})
		}
		for j := range mb {
			ops = append(ops, op{opIns, pre + len(ma), pre + j})
		}
	} else {
		// lcs[i][j] is the LCS length of ma[i:] and mb[j:].
		lcs := make([][]int, len(ma)+1)
		for i := range lcs {
			lcs[i] = make([]int, len(mb)+1)
		}
		for i := len(ma) - 1; i >= 0; i-- {
			for j := len(mb) - 1; j >= 0; j-- {
				if ma[i] == mb[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(ma) || j < len(mb) {
			switch {
			case i < len(ma) && j < len(mb) && ma[i] == mb[j]:
				ops = append(ops, op{opEqual, pre + i, pre + j})
				i++
				j++
			case i < len(ma) && (j == len(mb) || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, op{opDel, pre + i, pre + j})
				i++
			default:
				ops = append(ops, op{opIns, pre + i, pre + j})
				j++
			}
		}
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, op{opEqual, len(a) - suf + k, len(b) - suf + k})
	}
	return ops
}

// unifiedDiff renders a unified diff of two versions of a file, passing
// every printed line through redact. It returns "" when they are equal.
func unifiedDiff(name string, old, new []byte, redact func(string) string) string {
	a, b := splitLines(string(old)), splitLines(string(new))
	ops := diffLines(a, b)
	var out strings.Builder
	for i := 0; i < len(ops); {
		if ops[i].kind == opEqual {
			i++
			continue
		}
		// A hunk: from diffContext lines before this change to
		// diffContext lines after the last change that is at most
		// 2*diffContext unchanged lines from the next.
		start := max(i-diffContext, 0)
		end := i
		for {
			for end < len(ops) && ops[end].kind != opEqual {
				end++
			}
			next := end
			for next < len(ops) && ops[next].kind == opEqual {
				next++
			}
			if next < len(ops) && next-end <= 2*diffContext {
				end = next
				continue
			}
			end = min(end+diffContext, len(ops))
			break
		}
		if out.Len() == 0 {
			fmt.Fprintf(&out, "--- %s\n+++ %s (new)\n", name, name)
		}
		writeHunk(&out, ops[start:end], a, b, redact)
		i = end
	}
	return out.String()
}

func writeHunk(out *strings.Builder, ops []op, a, b []string, redact func(string) string) {
	var na, nb int
	for _, o := range ops {
		if o.kind != opIns {
			na++
		}
		if o.kind != opDel {
			nb++
		}
	}
	sa, sb := ops[0].a+1, ops[0].b+1
	if na == 0 {
		sa--
	}
	if nb == 0 {
		sb--
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(sa, na), hunkRange(sb, nb))
	for _, o := range ops {
		line := ""
		if o.kind == opIns {
			line = b[o.b]
		} else {
			line = a[o.a]
		}
		text := strings.TrimRight(line, "\r\n")
		out.WriteByte(byte(o.kind))
		out.WriteString(redact(text))
		out.WriteByte('\n')
		if !strings.HasSuffix(line, "\n") {
			out.WriteString("\\ No newline at end of file\n")
		}
	}
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

var passwordText = regexp.MustCompile(`(<SvnPassword\b[^>]*>)[^<]*`)

// newRedactor returns a function that hides the SVN password in a line of
// the diff: the text of any <SvnPassword> element, and any line holding
// the old or the new password.
func newRedactor(src []byte, s Settings) func(string) string {
	var secrets []string
	add := func(p string) {
		if p != "" {
			secrets = append(secrets, p, (&editor{d: &document{}}).escape(p))
		}
	}
	add(s.SvnPassword)
	if d, err := parse(src); err == nil {
		if b, err := d.readBlock(); err == nil {
			add(b.SvnPassword.Reveal())
		}
	}
	return func(line string) string {
		line = passwordText.ReplaceAllString(line, "${1}<redacted>")
		for _, p := range secrets {
			if strings.Contains(line, p) {
				return "<line redacted: it holds the SVN password>"
			}
		}
		return line
	}
}
