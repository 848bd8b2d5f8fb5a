package pipeline

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/journal/hashchain"
	"github.com/factum-dev/factum/snapshots"
	"github.com/factum-dev/factum/storage/compression"
	"github.com/factum-dev/factum/storage/encryption"
)

// Environment variables read by FromEnv.
const (
	EnvCompression      = "FACTUM_COMPRESSION"       // "", "zstd" or "zlib"
	EnvCompressionLevel = "FACTUM_COMPRESSION_LEVEL" // 0 (default) or the algorithm's level
	EnvCipherKey        = "FACTUM_CIPHER_KEY"        // base64 of 32 bytes
	EnvCipherOldKeys    = "FACTUM_CIPHER_OLD_KEYS"   // comma-separated base64 keys, still read
	EnvPerSubjectKeys   = "FACTUM_PER_SUBJECT_KEYS"  // bool
	EnvHashChain        = "FACTUM_HASH_CHAIN"        // bool
)

// Config turns on the storage features of events and snapshots. The zero
// value turns everything off.
type Config struct {
	// Compression is "" (off), "zstd" or "zlib".
	Compression string
	// CompressionLevel is the algorithm's level (0: its default).
	CompressionLevel int
	// CipherKey is the 32-byte AES-256 master key; CipherKeyBase64 is the
	// same in base64 (set one of them). Either turns encryption on.
	CipherKey       []byte
	CipherKeyBase64 string
	// OldCipherKeysBase64 are earlier master keys, kept to read what was
	// written (or wrapped) under them after a rotation.
	OldCipherKeysBase64 []string
	// PerSubjectKeys gives each aggregate its own data key, wrapped by the
	// master key and kept in a KeyStore, so that it can be shredded and
	// the master key rotated without rewriting events. Needs a cipher key.
	PerSubjectKeys bool
	// HashChain chains each aggregate's stored events by hash.
	HashChain bool
}

func bad(setting, env, format string, args ...any) error {
	where := "Config." + setting
	if env != "" {
		where += " (" + env + ")"
	}
	return fmt.Errorf("pipeline: %s: %s: %w", where, fmt.Sprintf(format, args...), ErrConfig)
}

// Validate reports the first setting that is wrong.
func (c Config) Validate() error {
	_, err := c.keyring()
	if err != nil {
		return err
	}
	if c.Compression != "" {
		cc := compression.Config{Algorithm: c.Compression, Level: c.CompressionLevel}
		if err := cc.Validate(); err != nil {
			switch {
			case c.Compression != compression.Zstd && c.Compression != compression.Zlib:
				return bad("Compression", EnvCompression, "%q, want %q, %q or empty (off)", c.Compression, compression.Zstd, compression.Zlib)
			default:
				return bad("CompressionLevel", EnvCompressionLevel, "%v", err)
			}
		}
	} else if c.CompressionLevel != 0 {
		return bad("CompressionLevel", EnvCompressionLevel, "%d is set but Compression is off", c.CompressionLevel)
	}
	return nil
}

// encrypting reports whether a cipher key is set.
func (c Config) encrypting() bool { return len(c.CipherKey) > 0 || c.CipherKeyBase64 != "" }

// keyring returns the master keys, or nil when encryption is off.
func (c Config) keyring() (*encryption.Keyring, error) {
	if len(c.CipherKey) > 0 && c.CipherKeyBase64 != "" {
		return nil, bad("CipherKey", EnvCipherKey, "both CipherKey and CipherKeyBase64 are set; set one")
	}
	if !c.encrypting() {
		if c.PerSubjectKeys {
			return nil, bad("PerSubjectKeys", EnvPerSubjectKeys, "needs a master key in CipherKey or CipherKeyBase64 (%s)", EnvCipherKey)
		}
		if len(c.OldCipherKeysBase64) > 0 {
			return nil, bad("OldCipherKeysBase64", EnvCipherOldKeys, "set without a current key in %s", EnvCipherKey)
		}
		return nil, nil
	}
	var (
		current encryption.Key
		err     error
	)
	if len(c.CipherKey) > 0 {
		current, err = encryption.NewKey(c.CipherKey)
	} else {
		current, err = encryption.ParseKey(c.CipherKeyBase64)
	}
	if err != nil {
		return nil, bad("CipherKey", EnvCipherKey, "%v (make one with: head -c 32 /dev/urandom | base64)", err)
	}
	old := make([]encryption.Key, 0, len(c.OldCipherKeysBase64))
	for i, s := range c.OldCipherKeysBase64 {
		k, err := encryption.ParseKey(s)
		if err != nil {
			return nil, bad("OldCipherKeysBase64", EnvCipherOldKeys, "key %d: %v", i+1, err)
		}
		if k.ID == current.ID {
			continue
		}
		old = append(old, k)
	}
	kr, err := encryption.NewKeyring(current, old...)
	if err != nil {
		return nil, bad("OldCipherKeysBase64", EnvCipherOldKeys, "%v", err)
	}
	return kr, nil
}

// FromEnv reads a Config from FACTUM_* variables through getenv (pass
// os.Getenv). Unset variables leave their feature off.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Compression:     strings.TrimSpace(getenv(EnvCompression)),
		CipherKeyBase64: strings.TrimSpace(getenv(EnvCipherKey)),
	}
	var err error
	if s := strings.TrimSpace(getenv(EnvCompressionLevel)); s != "" {
		if c.CompressionLevel, err = strconv.Atoi(s); err != nil {
			return Config{}, bad("CompressionLevel", EnvCompressionLevel, "%q is not a number", s)
		}
	}
	for _, s := range strings.Split(getenv(EnvCipherOldKeys), ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.OldCipherKeysBase64 = append(c.OldCipherKeysBase64, s)
		}
	}
	for _, b := range []struct {
		env, setting string
		to           *bool
	}{{EnvPerSubjectKeys, "PerSubjectKeys", &c.PerSubjectKeys}, {EnvHashChain, "HashChain", &c.HashChain}} {
		if s := strings.TrimSpace(getenv(b.env)); s != "" {
			if *b.to, err = strconv.ParseBool(s); err != nil {
				return Config{}, bad(b.setting, b.env, "%q is not a boolean (true/false/1/0)", s)
			}
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Deps are what Build needs besides the Config.
type Deps struct {
	// Journal is the journal events are stored in. Required.
	Journal journal.Journal
	// KeyStore keeps the per-subject data keys. Required with
	// PerSubjectKeys; it must be as durable as the journal.
	KeyStore encryption.KeyStore
}

// Pipeline is what Build assembles: put Journal, Transforms and
// SnapshotTransforms in app.Config (Journal, Transforms,
// SnapshotTransforms).
type Pipeline struct {
	// Journal is Deps.Journal, wrapped by a hash chain when HashChain is on.
	Journal journal.Journal
	// Transforms are the record transforms in write order: compression,
	// then encryption.
	Transforms []journal.Transform
	// SnapshotTransforms are the snapshot transforms in write order:
	// compression, then encryption.
	SnapshotTransforms []snapshots.Transform
	// Compressor, Cipher and Chain are the parts that are on (nil when
	// off): Cipher for Shred and Rotate.
	Compressor *compression.Compressor
	Cipher     *encryption.Cipher
	Chain      *hashchain.Journal
}

// Build validates c and assembles the pipeline over deps.Journal.
//
// Order on write: the registry's codec, then compression, then
// encryption, then the hash chain over the record as stored; on read the
// reverse. Compression comes before encryption because ciphertext does not
// compress. The hash chain hashes the stored (compressed, encrypted)
// bytes so that it can be verified without any key and still verifies
// after a subject is shredded.
func (c Config) Build(deps Deps) (*Pipeline, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if deps.Journal == nil {
		return nil, fmt.Errorf("pipeline: Deps.Journal is nil: %w", ErrConfig)
	}
	p := &Pipeline{Journal: deps.Journal}
	if c.Compression != "" {
		comp, err := compression.New(compression.Config{Algorithm: c.Compression, Level: c.CompressionLevel})
		if err != nil {
			return nil, bad("Compression", EnvCompression, "%v", err)
		}
		p.Compressor = comp
		p.Transforms = append(p.Transforms, comp)
		p.SnapshotTransforms = append(p.SnapshotTransforms, comp)
	}
	if c.encrypting() {
		kr, _ := c.keyring() // validated
		ec := encryption.Config{Keys: kr}
		if c.PerSubjectKeys {
			if deps.KeyStore == nil {
				return nil, errors.Join(p.Close(), bad("PerSubjectKeys", EnvPerSubjectKeys, "needs Deps.KeyStore"))
			}
			ec.KeyStore = deps.KeyStore
		}
		ciph, err := encryption.New(ec)
		if err != nil {
			return nil, errors.Join(p.Close(), fmt.Errorf("pipeline: %w", err))
		}
		p.Cipher = ciph
		p.Transforms = append(p.Transforms, ciph)
		p.SnapshotTransforms = append(p.SnapshotTransforms, ciph)
	}
	if c.HashChain {
		chain, err := hashchain.Wrap(deps.Journal, hashchain.Config{})
		if err != nil {
			return nil, errors.Join(p.Close(), fmt.Errorf("pipeline: %w", err))
		}
		p.Chain, p.Journal = chain, chain
	}
	return p, nil
}

// Close releases the compressor. It does not close the journal. It is safe
// to call more than once.
func (p *Pipeline) Close() error {
	if p.Compressor != nil {
		return p.Compressor.Close()
	}
	return nil
}

// String describes the configuration without the keys.
func (c Config) String() string {
	var on []string
	if c.Compression != "" {
		on = append(on, "compression="+c.Compression)
	}
	if c.encrypting() {
		s := "encryption=aes-256-gcm"
		if c.PerSubjectKeys {
			s += "/per-subject"
		}
		on = append(on, s)
	}
	if c.HashChain {
		on = append(on, "hashchain")
	}
	if len(on) == 0 {
		return "plain"
	}
	return strings.Join(on, ",")
}
