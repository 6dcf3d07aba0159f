//go:build linux

// Command benchvs times llmpipe side by side with llama.cpp on the benchmark
// models of ../shared/peers/BENCH.md, in one run, and prints a markdown table.
//
// For each repetition × model × thread count it runs `llmpipe bench --json`
// and ../shared/peers/llamacpp_bench.mjs (llama.cpp through node-llama-cpp
// 3.21.1) one after the other, each in its own process, alternating which
// goes first from one repetition to the next. Both measure the same things:
// one 256-token prompt batch after a 32-token warm-up (pp), then 128 greedy
// single-token decodes after that prompt through the output head (tg).
//
// Noise handling follows ../shared/peers/run_llamacpp_bench.py: before each
// run it waits (up to -quiet-wait) until the other processes use less than 5%
// of one CPU over 2 s; it counts the CPU time other processes took during the
// run (/proc/stat busy time minus the child's user+sys from wait4), marks the
// run disturbed when that exceeds -max-foreign of the run's wall time, and
// repeats it up to -retries times. Peak RSS comes from wait4's rusage.
//
// Every attempt is appended to -out as one JSON line; the table is built from
// the medians of the undisturbed runs. -summarize prints the table of an
// existing JSONL file without running anything. -bandwidth measures this
// machine's read bandwidth (1 and 2 goroutines streaming a 1 GiB buffer), the
// yardstick of the runtime issue's "80% of read bandwidth" decode target.
//
// It is a developer tool for Linux, not part of the library: it imports only
// format/gguf (to count the bytes one decode step reads).
//
// Usage, from the repository root:
//
//	LLMPIPE_BENCHMODELS=/work/benchmodels go run ./tools/benchvs -threads 1,2 -reps 5
//	go run ./tools/benchvs -dir /work/benchmodels -models bench-110m-q8_0 -threads 1 -reps 1 -time-limit 5m
//	go run ./tools/benchvs -summarize /work/benchmodels/benchvs_results.jsonl
//	go run ./tools/benchvs -bandwidth
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/llmpipe/llmpipe/format/gguf"
)

// defaultModels are BENCH.md's six benchmark models.
var defaultModels = []string{"bench-110m-f32", "bench-110m-f16", "bench-110m-q8_0", "bench-110m-q4_0", "bench-gqa-1b-q8_0", "bench-gqa-1b-q4_0"}

// Engine names in the JSONL rows.
const (
	engineOurs  = "llmpipe"
	engineLlama = "llama.cpp"
)

type config struct {
	dir, out, peersSrc, peersDir, llmpipe string
	models                                []string
	threads                               []int
	engines                               []string
	reps, pp, tg, retries                 int
	kvF16                                 bool
	timeLimit, quietWait, runTimeout      time.Duration
	maxForeign                            float64
	readGBs                               map[int]float64
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchvs:", err)
		os.Exit(1)
	}
}

func run() error {
	var c config
	var models, threads, engines, summarize, readBW string
	var bandwidth bool
	flag.StringVar(&c.dir, "dir", os.Getenv("LLMPIPE_BENCHMODELS"), "folder of the benchmark models (default $LLMPIPE_BENCHMODELS)")
	flag.StringVar(&models, "models", strings.Join(defaultModels, ","), "comma-separated model names in -dir (.gguf optional) or paths")
	flag.StringVar(&threads, "threads", "1,2", "comma-separated thread counts")
	flag.StringVar(&engines, "engines", engineOurs+","+engineLlama, "which engines to run: llmpipe, llama.cpp or both")
	flag.IntVar(&c.reps, "reps", 3, "repetitions of every model × thread count")
	flag.IntVar(&c.pp, "pp", 256, "prompt tokens (pp test)")
	flag.IntVar(&c.tg, "tg", 128, "generated tokens (tg test)")
	flag.BoolVar(&c.kvF16, "kv-f16", true, "run llmpipe with --kv-f16 (llama.cpp keeps its KV cache in f16)")
	flag.DurationVar(&c.timeLimit, "time-limit", 0, "start no new model × threads pair (nor a retry) after this much time; 0: no limit")
	flag.DurationVar(&c.quietWait, "quiet-wait", 300*time.Second, "longest wait for a quiet machine before each run")
	flag.DurationVar(&c.runTimeout, "run-timeout", 10*time.Minute, "kill a run that takes longer")
	flag.Float64Var(&c.maxForeign, "max-foreign", 0.1, "a run is disturbed when other processes used more than this fraction of one CPU")
	flag.IntVar(&c.retries, "retries", 2, "repeat a disturbed run up to this many times")
	flag.StringVar(&c.out, "out", "", "JSONL file the rows are appended to (default -dir/benchvs_results.jsonl)")
	flag.StringVar(&c.peersSrc, "peers-src", "", "folder with llamacpp_bench.mjs and package.json (default $LLMPIPE_SHARED/../peers or ../shared/peers)")
	flag.StringVar(&c.peersDir, "peers-dir", filepath.Join(os.TempDir(), "llmpipe-benchvs-peers"), "work folder: a copy of -peers-src with node_modules (npm install --ignore-scripts when missing)")
	flag.StringVar(&c.llmpipe, "llmpipe", "", "llmpipe binary to time (default: go build ./cmd/llmpipe into a temporary folder)")
	flag.StringVar(&summarize, "summarize", "", "print the table of this JSONL file and exit")
	flag.BoolVar(&bandwidth, "bandwidth", false, "measure the read bandwidth (1 GiB, 1 and 2 goroutines) and exit")
	flag.StringVar(&readBW, "read-gbs", "1:13.4,2:22.1", "read bandwidth per thread count in GB/s for the table's % column (default: MACHINE-LIMITS.md's 1 GiB read)")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags only; see -help)", flag.Args())
	}
	var err error
	if c.readGBs, err = parseReadGBs(readBW); err != nil {
		return err
	}
	if bandwidth {
		waited, busy := waitQuiet(c.quietWait)
		fmt.Fprintf(os.Stderr, "waited %.0f s for a quiet machine (others used %.0f%% of a CPU in the last 2 s)\n", waited, 100*busy)
		return printBandwidth(os.Stdout)
	}
	if summarize != "" {
		rows, err := readRows(summarize)
		if err != nil {
			return err
		}
		return printTable(os.Stdout, rows, c.readGBs)
	}
	if c.threads, err = parseInts(threads); err != nil {
		return fmt.Errorf("-threads: %w", err)
	}
	for _, e := range strings.Split(engines, ",") {
		if e != engineOurs && e != engineLlama {
			return fmt.Errorf("-engines: unknown engine %q (want %s or %s)", e, engineOurs, engineLlama)
		}
		c.engines = append(c.engines, e)
	}
	if c.reps < 1 || c.pp < 1 || c.tg < 1 {
		return fmt.Errorf("-reps %d, -pp %d and -tg %d must be positive", c.reps, c.pp, c.tg)
	}
	for _, m := range strings.Split(models, ",") {
		if m = strings.TrimSpace(m); m == "" {
			continue
		}
		if !strings.HasSuffix(m, ".gguf") {
			m += ".gguf"
		}
		if !strings.ContainsRune(m, '/') {
			if c.dir == "" {
				return fmt.Errorf("model %s: set -dir or $LLMPIPE_BENCHMODELS to the folder of the benchmark models (../shared/peers/BENCH.md §1)", m)
			}
			m = filepath.Join(c.dir, m)
		}
		if _, err := os.Stat(m); err != nil {
			return fmt.Errorf("%w (make the benchmark models with ../shared/peers/BENCH.md §1)", err)
		}
		c.models = append(c.models, m)
	}
	if len(c.models) == 0 {
		return errors.New("-models names no model")
	}
	if c.out == "" {
		if c.dir == "" {
			return errors.New("-out: no default without -dir")
		}
		c.out = filepath.Join(c.dir, "benchvs_results.jsonl")
	}
	if err := prepare(&c); err != nil {
		return err
	}
	rows, err := measureAll(&c)
	fmt.Fprintf(os.Stderr, "rows appended to %s\n", c.out)
	if len(rows) > 0 {
		if perr := printTable(os.Stdout, rows, c.readGBs); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseReadGBs parses "1:13.4,2:22.1" (threads:GB/s).
func parseReadGBs(s string) (map[int]float64, error) {
	m := map[int]float64{}
	if s == "" {
		return m, nil
	}
	for _, f := range strings.Split(s, ",") {
		t, g, ok := strings.Cut(f, ":")
		n, err1 := strconv.Atoi(t)
		v, err2 := strconv.ParseFloat(g, 64)
		if !ok || err1 != nil || err2 != nil || n < 1 || !(v > 0) {
			return nil, fmt.Errorf("-read-gbs: %q is not THREADS:GB/s", f)
		}
		m[n] = v
	}
	return m, nil
}

// prepare builds llmpipe and installs the llama.cpp peer as needed.
func prepare(c *config) error {
	if slices.Contains(c.engines, engineOurs) && c.llmpipe == "" {
		tmp, err := os.MkdirTemp("", "benchvs-bin")
		if err != nil {
			return err
		}
		c.llmpipe = filepath.Join(tmp, "llmpipe")
		cmd := exec.Command("go", "build", "-o", c.llmpipe, "./cmd/llmpipe")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		fmt.Fprintln(os.Stderr, "building", c.llmpipe, "(go build ./cmd/llmpipe; run from the repository root)")
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/llmpipe: %w", err)
		}
	}
	if !slices.Contains(c.engines, engineLlama) {
		return nil
	}
	if c.peersSrc == "" {
		c.peersSrc = filepath.Join("..", "shared", "peers")
		if s := os.Getenv("LLMPIPE_SHARED"); s != "" {
			c.peersSrc = filepath.Join(s, "..", "peers")
		}
	}
	if err := os.MkdirAll(c.peersDir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"llamacpp_bench.mjs", "package.json"} {
		b, err := os.ReadFile(filepath.Join(c.peersSrc, name))
		if err != nil {
			return fmt.Errorf("%w (set -peers-src to ../shared/peers)", err)
		}
		if err := os.WriteFile(filepath.Join(c.peersDir, name), b, 0o644); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(c.peersDir, "node_modules", "node-llama-cpp", "package.json")); err == nil {
		return nil
	}
	fmt.Fprintln(os.Stderr, "npm install --ignore-scripts in", c.peersDir, "(about 30 s)")
	cmd := exec.Command("npm", "install", "--ignore-scripts")
	cmd.Dir = c.peersDir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install --ignore-scripts in %s: %w", c.peersDir, err)
	}
	return nil
}

// row is one JSONL line: one engine's run of one model at one thread count.
type row struct {
	Engine  string `json:"engine"`
	Model   string `json:"model"`
	Threads int    `json:"threads"`
	Rep     int    `json:"rep"`
	Attempt int    `json:"attempt"`
	PP      int    `json:"pp"`
	TG      int    `json:"tg"`

	PPTokS float64 `json:"pp_tok_s"`
	TGTokS float64 `json:"tg_tok_s"`
	LoadS  float64 `json:"load_s"`
	// PeakRSSMiB is wait4's ru_maxrss; RSSFileMiB and RSSAnonMiB are what the
	// process itself read from /proc/self/status at its end.
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	RSSFileMiB float64 `json:"rss_file_mib"`
	RSSAnonMiB float64 `json:"rss_anon_mib"`
	FileBytes  int64   `json:"file_bytes"`
	// KVBytes is llmpipe's KV cache for pp+tg positions (0 for llama.cpp).
	KVBytes int64 `json:"kv_bytes"`
	// DecodeBytes is what one decode step reads: every tensor but the token
	// embedding (of which one row is read).
	DecodeBytes int64 `json:"decode_bytes"`
	PromptIDs   []int `json:"prompt_ids"`
	GenIDs      []int `json:"gen_ids"`

	UserS       float64  `json:"user_s"`
	SysS        float64  `json:"sys_s"`
	WallS       float64  `json:"wall_s"`
	ForeignCPUS float64  `json:"foreign_cpu_s"`
	WaitedS     float64  `json:"waited_s"`
	OtherBefore float64  `json:"other_cpu_before"`
	LoadAvg     []string `json:"loadavg_before"`
	Disturbed   bool     `json:"disturbed"`
	When        string   `json:"when"`
	// Error is set when the run failed; such rows are left out of the table.
	Error string `json:"error,omitempty"`
}

func measureAll(c *config) ([]row, error) {
	out, err := os.OpenFile(c.out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	decode := map[string]int64{}
	for _, m := range c.models {
		if decode[m], err = decodeBytes(m); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	var rows []row
	for rep := range c.reps {
		for _, m := range c.models {
			for _, th := range c.threads {
				// The time limit is checked before each model × threads pair
				// only: a pair once started runs every engine at least once.
				if c.timeLimit > 0 && time.Since(start) >= c.timeLimit {
					fmt.Fprintf(os.Stderr, "time limit %v reached: stopping\n", c.timeLimit)
					return rows, nil
				}
				engines := slices.Clone(c.engines)
				if rep%2 == 1 {
					slices.Reverse(engines) // alternate which engine runs first
				}
				for _, e := range engines {
					for attempt := 0; attempt <= c.retries; attempt++ {
						left := c.timeLimit - time.Since(start)
						if attempt > 0 && c.timeLimit > 0 && left <= 0 {
							break // no time for a retry
						}
						r, err := measure(c, e, m, th, left)
						if err != nil {
							// recorded and reported; the other runs go on
							r.Error = err.Error()
							fmt.Fprintln(os.Stderr, "FAILED:", err)
						}
						r.Rep, r.Attempt, r.DecodeBytes = rep, attempt, decode[m]
						b, _ := json.Marshal(r)
						if _, err := out.Write(append(b, '\n')); err != nil {
							return rows, err
						}
						rows = append(rows, r)
						if r.Error != "" {
							break
						}
						fmt.Fprintf(os.Stderr, "%-10s %-24s t=%d rep=%d pp=%7.1f tg=%6.2f rss=%4.0fMiB wall=%5.1fs foreign=%.2fs waited=%.0fs%s\n",
							e, filepath.Base(m), th, rep, r.PPTokS, r.TGTokS, r.PeakRSSMiB, r.WallS, r.ForeignCPUS, r.WaitedS, map[bool]string{true: " DISTURBED"}[r.Disturbed])
						if !r.Disturbed {
							break
						}
					}
				}
			}
		}
	}
	return rows, nil
}

// decodeBytes sums the sizes of every tensor of the GGUF file at path except
// token_embd.weight (one decode step reads one row of it).
func decodeBytes(path string) (int64, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	for _, t := range f.Tensors {
		s, err := t.Size()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		if t.Name == "token_embd.weight" && len(t.Dims) == 2 && t.Dims[1] > 0 {
			s /= t.Dims[1]
		}
		n += int64(s)
	}
	return n, nil
}

// measure runs one engine once, after waiting for a quiet machine.
func measure(c *config, engine, model string, threads int, left time.Duration) (row, error) {
	wait := c.quietWait
	if c.timeLimit > 0 {
		wait = max(0, min(wait, left))
	}
	r := row{Engine: engine, Model: filepath.Base(model), Threads: threads, PP: c.pp, TG: c.tg}
	r.WaitedS, r.OtherBefore = waitQuiet(wait)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		r.LoadAvg = strings.Fields(string(b))[:3]
	}
	if st, err := os.Stat(model); err == nil {
		r.FileBytes = st.Size()
	}
	abs, err := filepath.Abs(model)
	if err != nil {
		return r, err
	}
	var cmd *exec.Cmd
	ctx, cancel := context.WithTimeout(context.Background(), c.runTimeout)
	defer cancel()
	if engine == engineOurs {
		args := []string{"bench", "--model", abs, "--threads", strconv.Itoa(threads), "--prompt-tokens", strconv.Itoa(c.pp),
			"--gen-tokens", strconv.Itoa(c.tg), "--reps", "1", "--json"}
		if c.kvF16 {
			args = append(args, "--kv-f16")
		}
		cmd = exec.CommandContext(ctx, c.llmpipe, args...)
	} else {
		cmd = exec.CommandContext(ctx, "node", "llamacpp_bench.mjs", abs, strconv.Itoa(threads), strconv.Itoa(c.pp), strconv.Itoa(c.tg), "1", "greedy")
		cmd.Dir = c.peersDir
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	b0 := cpuBusySeconds()
	t0 := time.Now()
	err = cmd.Run()
	r.WallS = time.Since(t0).Seconds()
	busy := cpuBusySeconds() - b0
	r.When = t0.UTC().Format(time.RFC3339)
	if err != nil {
		return r, fmt.Errorf("%s %s t=%d: %w\n%s", engine, r.Model, threads, err, tail(stderr.String(), 2000))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.PeakRSSMiB = float64(ru.Maxrss) / 1024 // Linux: KiB
		r.UserS = time.Duration(ru.Utime.Nano()).Seconds()
		r.SysS = time.Duration(ru.Stime.Nano()).Seconds()
	}
	r.ForeignCPUS = round2(busy - r.UserS - r.SysS)
	r.Disturbed = r.ForeignCPUS > c.maxForeign*r.WallS
	if err := parseEngineJSON(engine, lastLine(stdout.String()), &r); err != nil {
		return r, fmt.Errorf("%s %s t=%d: %w", engine, r.Model, threads, err)
	}
	return r, nil
}

// parseEngineJSON fills r from the JSON line an engine printed.
func parseEngineJSON(engine, line string, r *row) error {
	if engine == engineOurs {
		var o struct {
			PP        float64  `json:"pp_tok_s"`
			TG        float64  `json:"tg_tok_s"`
			LoadS     float64  `json:"load_s"`
			KVBytes   int64    `json:"kv_bytes"`
			RSSFileMB *float64 `json:"rss_file_mb"`
			RSSAnonMB *float64 `json:"rss_anon_mb"`
			PromptIDs []int    `json:"prompt_ids"`
			GenIDs    []int    `json:"gen_ids"`
		}
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			return fmt.Errorf("llmpipe bench --json printed %q: %w", tail(line, 300), err)
		}
		r.PPTokS, r.TGTokS, r.LoadS, r.KVBytes, r.PromptIDs, r.GenIDs = o.PP, o.TG, o.LoadS, o.KVBytes, o.PromptIDs, o.GenIDs
		if o.RSSFileMB != nil && o.RSSAnonMB != nil {
			r.RSSFileMiB, r.RSSAnonMiB = *o.RSSFileMB, *o.RSSAnonMB
		}
		return nil
	}
	var o struct {
		LoadMs    float64 `json:"loadMs"`
		PromptIDs []int   `json:"promptIds"`
		Mem       struct {
			RssFileKiB float64 `json:"RssFileKiB"`
			RssAnonKiB float64 `json:"RssAnonKiB"`
		} `json:"mem"`
		Runs []struct {
			PP     float64 `json:"ppTokS"`
			TG     float64 `json:"tgTokS"`
			GenIDs []int   `json:"genIds"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(line), &o); err != nil || len(o.Runs) == 0 {
		return fmt.Errorf("llamacpp_bench.mjs printed %q: %v", tail(line, 300), err)
	}
	r.PPTokS, r.TGTokS, r.GenIDs = o.Runs[0].PP, o.Runs[0].TG, o.Runs[0].GenIDs
	r.LoadS, r.PromptIDs = o.LoadMs/1000, o.PromptIDs
	r.RSSFileMiB, r.RSSAnonMiB = o.Mem.RssFileKiB/1024, o.Mem.RssAnonKiB/1024
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func round2(x float64) float64 { return float64(int64(x*100+0.5*sign(x))) / 100 }

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

// cpuBusySeconds is the machine's total non-idle CPU time from /proc/stat
// (user..steal, in USER_HZ = 100 ticks per second), or 0 if unreadable.
func cpuBusySeconds() float64 {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && err != io.EOF {
		return 0
	}
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0
	}
	var busy float64
	for i, s := range fields[1:9] {
		v, _ := strconv.ParseFloat(s, 64)
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		busy += v
	}
	return busy / 100
}

// waitQuiet waits until the machine used less than 5% of one CPU over 2 s,
// or max has passed; it returns the seconds waited and the last window's
// busy fraction of one CPU.
func waitQuiet(max time.Duration) (waited, busy float64) {
	t0 := time.Now()
	for {
		b0 := cpuBusySeconds()
		time.Sleep(2 * time.Second)
		used := (cpuBusySeconds() - b0) / 2
		if used < 0.05 || time.Since(t0) >= max {
			return round2(time.Since(t0).Seconds()), round2(used)
		}
	}
}

func readRows(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

// stat is the medians of one engine's runs of one model at one thread count.
type stat struct {
	n, disturbed         int
	pp, tg, rss, gbs     float64
	ppMin, ppMax         float64
	tgMin, tgMax         float64
	kv, file             int64
	rows                 []row
	allDisturbedFallback bool
}

func summarizeRows(rows []row) (map[[3]string]*stat, [][2]string) {
	groups := map[[3]string][]row{}
	var keys [][2]string
	seen := map[[2]string]bool{}
	for _, r := range rows {
		if r.Error != "" {
			continue
		}
		k := [3]string{r.Model, strconv.Itoa(r.Threads), r.Engine}
		groups[k] = append(groups[k], r)
		if mk := [2]string{r.Model, strconv.Itoa(r.Threads)}; !seen[mk] {
			seen[mk] = true
			keys = append(keys, mk)
		}
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return modelOrder(keys[i][0]) < modelOrder(keys[j][0])
		}
		return keys[i][1] < keys[j][1]
	})
	out := map[[3]string]*stat{}
	for k, rs := range groups {
		var use []row
		for _, r := range rs {
			if !r.Disturbed {
				use = append(use, r)
			}
		}
		s := &stat{n: len(use), disturbed: len(rs) - len(use)}
		if len(use) == 0 {
			use, s.allDisturbedFallback = rs, true
		}
		var pp, tg, rss []float64
		for _, r := range use {
			pp, tg, rss = append(pp, r.PPTokS), append(tg, r.TGTokS), append(rss, r.PeakRSSMiB)
			s.kv, s.file = max(s.kv, r.KVBytes), r.FileBytes
			s.gbs = float64(r.DecodeBytes)
		}
		s.pp, s.ppMin, s.ppMax = median(pp)
		s.tg, s.tgMin, s.tgMax = median(tg)
		s.rss, _, _ = median(rss)
		s.gbs = s.gbs * s.tg / 1e9
		s.rows = use
		out[k] = s
	}
	return out, keys
}

func modelOrder(name string) int {
	for i, m := range defaultModels {
		if name == m+".gguf" {
			return i
		}
	}
	return len(defaultModels)
}

// median returns the median, minimum and maximum of xs (0s for none).
func median(xs []float64) (med, lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

// budgetMiB is the runtime issue's memory bound: file + KV cache + 100 MB.
func budgetMiB(file, kv int64) float64 { return float64(file+kv+100e6) / (1 << 20) }

// printTable writes the markdown table of rows: medians of the undisturbed
// runs (all runs, marked *, where every run was disturbed), with min-max.
func printTable(w io.Writer, rows []row, readGBs map[int]float64) error {
	stats, keys := summarizeRows(rows)
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "| model | threads | pp tok/s llmpipe | pp tok/s llama.cpp | pp ratio | tg tok/s llmpipe | tg tok/s llama.cpp | tg ratio | tg GB/s llmpipe (llama.cpp) | % of read BW | peak RSS MiB llmpipe | file+KV+100MB MiB | peak RSS MiB llama.cpp | runs (disturbed) | same prompt ids, greedy ids agree for |")
	fmt.Fprintln(bw, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, k := range keys {
		th, _ := strconv.Atoi(k[1])
		o, l := stats[[3]string{k[0], k[1], engineOurs}], stats[[3]string{k[0], k[1], engineLlama}]
		cell := func(s *stat, f func(*stat) string) string {
			if s == nil {
				return "-"
			}
			v := f(s)
			if s.allDisturbedFallback {
				v += "*"
			}
			return v
		}
		rate := func(med, lo, hi float64) string {
			if lo == hi {
				return fmtRate(med)
			}
			return fmt.Sprintf("%s (%s-%s)", fmtRate(med), fmtRate(lo), fmtRate(hi))
		}
		ratio := func(a, b func(*stat) float64) string {
			if o == nil || l == nil || b(l) == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", a(o)/b(l))
		}
		gbs := cell(o, func(s *stat) string { return fmt.Sprintf("%.1f", s.gbs) })
		if l != nil {
			gbs += fmt.Sprintf(" (%.1f)", l.gbs)
		}
		pct := "-"
		if o != nil && readGBs[th] > 0 {
			pct = fmt.Sprintf("%.0f%% of %.1f", 100*o.gbs/readGBs[th], readGBs[th])
		}
		runs := ""
		for _, s := range []*stat{o, l} {
			if s != nil {
				if runs != "" {
					runs += " / "
				}
				runs += fmt.Sprintf("%d (%d)", s.n, s.disturbed)
			}
		}
		fmt.Fprintf(bw, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			strings.TrimSuffix(k[0], ".gguf"), th,
			cell(o, func(s *stat) string { return rate(s.pp, s.ppMin, s.ppMax) }),
			cell(l, func(s *stat) string { return rate(s.pp, s.ppMin, s.ppMax) }),
			ratio(func(s *stat) float64 { return s.pp }, func(s *stat) float64 { return s.pp }),
			cell(o, func(s *stat) string { return rate(s.tg, s.tgMin, s.tgMax) }),
			cell(l, func(s *stat) string { return rate(s.tg, s.tgMin, s.tgMax) }),
			ratio(func(s *stat) float64 { return s.tg }, func(s *stat) float64 { return s.tg }),
			gbs, pct,
			cell(o, func(s *stat) string { return fmt.Sprintf("%.0f", s.rss) }),
			cell(o, func(s *stat) string {
				b := budgetMiB(s.file, s.kv)
				verdict := "ok"
				if s.rss > b {
					verdict = "OVER"
				}
				return fmt.Sprintf("%.0f %s", b, verdict)
			}),
			cell(l, func(s *stat) string { return fmt.Sprintf("%.0f", s.rss) }),
			runs, agreement(o, l))
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "Medians of undisturbed runs (min-max); * = every run disturbed, all shown. Ratios are llmpipe / llama.cpp.")
	fmt.Fprintln(bw, "tg GB/s = tg tok/s × bytes one decode reads (every tensor but token_embd). % of read BW uses -read-gbs.")
	fmt.Fprintln(bw, "file+KV+100MB: model file + llmpipe's float32 KV cache of pp+tg positions + 100e6 bytes, against llmpipe's peak RSS.")
	return bw.Flush()
}

// agreement says whether both engines were given the same prompt ids, and
// for how many steps their greedy ids agree (the minimum over the pairs of
// runs of the same repetition).
func agreement(o, l *stat) string {
	if o == nil || l == nil {
		return "-"
	}
	same := "yes"
	agree := -1
	for _, a := range o.rows {
		for _, b := range l.rows {
			if a.Rep != b.Rep {
				continue
			}
			if !slices.Equal(a.PromptIDs, b.PromptIDs) {
				same = "NO"
			}
			n := 0
			for n < len(a.GenIDs) && n < len(b.GenIDs) && a.GenIDs[n] == b.GenIDs[n] {
				n++
			}
			if agree < 0 || n < agree {
				agree = n
			}
		}
	}
	if agree < 0 {
		return same
	}
	return fmt.Sprintf("%s, %d", same, agree)
}

func fmtRate(x float64) string {
	switch {
	case x >= 1000:
		return fmt.Sprintf("%.0f", x)
	case x >= 100:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}
