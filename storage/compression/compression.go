package compression

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/snapshots"
)

// HeaderCompression is the header that names the algorithm a payload was
// compressed with ("zstd" or "zlib"). It is absent when the payload is
// stored uncompressed.
const HeaderCompression = "compression"

// Algorithm names.
const (
	Zstd = "zstd"
	Zlib = "zlib"
)

// Config configures a Compressor.
type Config struct {
	// Algorithm is Zstd or Zlib.
	Algorithm string
	// Level is the algorithm's level: for zstd 1 (fastest) to 4 (best), as
	// zstd.EncoderLevel; for zlib 1 to 9. 0 means the default (zstd
	// "default", zlib 6).
	Level int
	// MinSize is the smallest payload that is tried (default 32 bytes);
	// smaller ones are stored as they are.
	MinSize int
	// MaxDecodedSize bounds the size of a decompressed payload (default
	// 64 MiB).
	MaxDecodedSize int
}

func (c *Config) setDefaults() {
	if c.MinSize == 0 {
		c.MinSize = 32
	}
	if c.MaxDecodedSize == 0 {
		c.MaxDecodedSize = 64 << 20
	}
}

// Validate reports the first setting that is wrong.
func (c Config) Validate() error {
	switch c.Algorithm {
	case Zstd:
		if c.Level < 0 || c.Level > int(zstd.SpeedBestCompression) {
			return fmt.Errorf("compression: Config.Level = %d, want 0..%d for zstd", c.Level, zstd.SpeedBestCompression)
		}
	case Zlib:
		if c.Level < 0 || c.Level > zlib.BestCompression {
			return fmt.Errorf("compression: Config.Level = %d, want 0..9 for zlib", c.Level)
		}
	default:
		return fmt.Errorf("compression: Config.Algorithm = %q, want %q or %q: %w", c.Algorithm, Zstd, Zlib, ErrUnknownAlgorithm)
	}
	if c.MinSize < 0 {
		return fmt.Errorf("compression: Config.MinSize = %d, want at least 0", c.MinSize)
	}
	if c.MaxDecodedSize < 0 {
		return fmt.Errorf("compression: Config.MaxDecodedSize = %d, want at least 1", c.MaxDecodedSize)
	}
	return nil
}

// Compressor compresses payloads on write and decompresses them on read.
// It is safe for concurrent use.
type Compressor struct {
	cfg     Config
	zenc    *zstd.Encoder
	zdec    *zstd.Decoder
	writers sync.Pool // *zlib.Writer
}

var (
	_ journal.Transform   = (*Compressor)(nil)
	_ snapshots.Transform = (*Compressor)(nil)
)

// New returns a Compressor configured by cfg. Close it to release the
// zstd encoder and decoder.
func New(cfg Config) (*Compressor, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Compressor{cfg: cfg}
	level := zstd.SpeedDefault
	if cfg.Algorithm == Zstd && cfg.Level > 0 {
		level = zstd.EncoderLevel(cfg.Level)
	}
	var err error
	// The encoder is built for either algorithm's Compressor, so both can
	// read what the other wrote; it costs nothing until used.
	if c.zenc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1),
		zstd.WithZeroFrames(true)); err != nil {
		return nil, fmt.Errorf("compression: zstd encoder: %w", err)
	}
	if c.zdec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(uint64(cfg.MaxDecodedSize))); err != nil {
		return nil, fmt.Errorf("compression: zstd decoder: %w", err)
	}
	zlevel := zlib.DefaultCompression
	if cfg.Algorithm == Zlib && cfg.Level > 0 {
		zlevel = cfg.Level
	}
	c.writers.New = func() any {
		w, _ := zlib.NewWriterLevel(nil, zlevel) // the level was validated
		return w
	}
	return c, nil
}

// Algorithm returns the algorithm the Compressor writes with.
func (c *Compressor) Algorithm() string { return c.cfg.Algorithm }

// Close releases the zstd encoder and decoder. It is safe to call more
// than once; the Compressor must not be used after.
func (c *Compressor) Close() error {
	if c.zdec != nil {
		c.zdec.Close()
	}
	return nil
}

// Compress returns data compressed with the Compressor's algorithm and
// true, or data and false when compression would not make it smaller.
func (c *Compressor) Compress(data []byte) ([]byte, bool) {
	if len(data) < c.cfg.MinSize {
		return data, false
	}
	var out []byte
	switch c.cfg.Algorithm {
	case Zstd:
		out = c.zenc.EncodeAll(data, make([]byte, 0, len(data)))
	case Zlib:
		var buf bytes.Buffer
		buf.Grow(len(data))
		w := c.writers.Get().(*zlib.Writer)
		w.Reset(&buf)
		// Writes to a bytes.Buffer do not fail.
		_, _ = w.Write(data)
		_ = w.Close()
		c.writers.Put(w)
		out = buf.Bytes()
	}
	if len(out) >= len(data) {
		return data, false
	}
	return out, true
}

// Decompress returns data decompressed with algorithm (a HeaderCompression
// value; "" returns data as it is).
func (c *Compressor) Decompress(algorithm string, data []byte) ([]byte, error) {
	switch algorithm {
	case "":
		return data, nil
	case Zstd:
		out, err := c.zdec.DecodeAll(data, nil)
		if err != nil {
			return nil, fmt.Errorf("zstd: %w: %w", err, ErrCorrupt)
		}
		if len(out) > c.cfg.MaxDecodedSize {
			return nil, fmt.Errorf("zstd: decoded size %d is over %d: %w", len(out), c.cfg.MaxDecodedSize, ErrCorrupt)
		}
		return out, nil
	case Zlib:
		r, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("zlib: %w: %w", err, ErrCorrupt)
		}
		out, err := io.ReadAll(io.LimitReader(r, int64(c.cfg.MaxDecodedSize)+1))
		if err == nil {
			err = r.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("zlib: %w: %w", err, ErrCorrupt)
		}
		if len(out) > c.cfg.MaxDecodedSize {
			return nil, fmt.Errorf("zlib: decoded size is over %d: %w", c.cfg.MaxDecodedSize, ErrCorrupt)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("header %s=%q: %w", HeaderCompression, algorithm, ErrUnknownAlgorithm)
	}
}

// EncodeRecord implements journal.Transform.
func (c *Compressor) EncodeRecord(_ context.Context, r *journal.Record) error {
	if _, done := r.Headers[HeaderCompression]; done {
		return fmt.Errorf("compression: aggregate %s version %d: record is already compressed", r.AggregateID, r.Version)
	}
	out, ok := c.Compress(r.Data)
	if !ok {
		return nil
	}
	r.Data = out
	if r.Headers == nil {
		r.Headers = make(map[string]string, 1)
	}
	r.Headers[HeaderCompression] = c.cfg.Algorithm
	return nil
}

// DecodeRecord implements journal.Transform.
func (c *Compressor) DecodeRecord(_ context.Context, r *journal.Record) error {
	out, err := c.Decompress(r.Headers[HeaderCompression], r.Data)
	if err != nil {
		return fmt.Errorf("compression: aggregate %s version %d: %w", r.AggregateID, r.Version, corrupt(err))
	}
	r.Data = out
	return nil
}

// EncodeSnapshot implements snapshots.Transform.
func (c *Compressor) EncodeSnapshot(_ context.Context, s *domain.Snapshot) error {
	if _, done := s.Headers[HeaderCompression]; done {
		return fmt.Errorf("compression: snapshot of aggregate %s version %d is already compressed", s.AggregateID, s.Version)
	}
	out, ok := c.Compress(s.Data)
	if !ok {
		return nil
	}
	s.Data = out
	if s.Headers == nil {
		s.Headers = make(map[string]string, 1)
	}
	s.Headers[HeaderCompression] = c.cfg.Algorithm
	return nil
}

// DecodeSnapshot implements snapshots.Transform.
func (c *Compressor) DecodeSnapshot(_ context.Context, s *domain.Snapshot) error {
	out, err := c.Decompress(s.Headers[HeaderCompression], s.Data)
	if err != nil {
		return fmt.Errorf("compression: snapshot of aggregate %s version %d: %w", s.AggregateID, s.Version, corrupt(err))
	}
	s.Data = out
	return nil
}

// corrupt adds journal.ErrCorrupt to a corrupt-payload error, so callers
// that only know the journal's errors see it too.
func corrupt(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("%w (%w)", err, journal.ErrCorrupt)
	}
	return err
}
