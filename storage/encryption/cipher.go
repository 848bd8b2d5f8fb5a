package encryption

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/snapshots"
)

// Headers written by a Cipher.
const (
	// HeaderCipher names the cipher of an encrypted payload: "aes-256-gcm".
	HeaderCipher = "cipher"
	// HeaderKey is the id of the key that encrypted the payload: the
	// master key's id, or with a KeyStore the subject's data key's id.
	HeaderKey = "cipher-key"
	// HeaderSubject is the subject whose data key encrypted the payload
	// (only with a KeyStore).
	HeaderSubject = "cipher-subject"
)

// AES256GCM is the value of HeaderCipher.
const AES256GCM = "aes-256-gcm"

const nonceSize = 12

// Config configures a Cipher.
type Config struct {
	// Keys holds the master keys. Required.
	Keys *Keyring
	// KeyStore, when set, gives each subject its own data key, wrapped by
	// the current master key; Shred then forgets a subject and Rotate
	// rewraps the data keys under a new master key. Nil: payloads are
	// encrypted with the master key itself.
	KeyStore KeyStore
	// Subject returns the subject a record belongs to (only with a
	// KeyStore). Default: its aggregate id.
	Subject func(r *journal.Record) string
	// SnapshotSubject returns the subject a snapshot belongs to. Default:
	// its aggregate id. It must be set when Subject is, so that shredding a
	// subject covers its aggregates' snapshots too.
	SnapshotSubject func(s *domain.Snapshot) string
	// KeyCacheSize bounds the number of unwrapped data keys kept in memory
	// (default 10,000; negative: none, every payload asks the KeyStore).
	KeyCacheSize int
	// RequireEncrypted makes reading a payload without HeaderCipher an
	// error (ErrNotEncrypted). Default: such payloads, written before
	// encryption was turned on, are read as they are.
	RequireEncrypted bool
}

// Validate reports the first setting that is wrong.
func (c Config) Validate() error {
	if c.Keys == nil {
		return errors.New("encryption: Config.Keys is nil: make a Keyring with NewKeyring")
	}
	if c.KeyStore == nil && (c.Subject != nil || c.SnapshotSubject != nil) {
		return errors.New("encryption: Config.Subject or SnapshotSubject is set but Config.KeyStore is nil: subjects need per-subject keys")
	}
	if c.Subject != nil && c.SnapshotSubject == nil {
		return errors.New("encryption: Config.Subject is set but Config.SnapshotSubject is not: snapshots would be keyed by aggregate and survive shredding the subject")
	}
	return nil
}

// Cipher encrypts payloads with AES-256-GCM on write and decrypts them on
// read; it is both a journal.Transform and a snapshots.Transform, and is
// safe for concurrent use.
type Cipher struct {
	cfg   Config
	cache *keyCache
}

var (
	_ journal.Transform   = (*Cipher)(nil)
	_ snapshots.Transform = (*Cipher)(nil)
)

// New returns a Cipher configured by cfg.
func New(cfg Config) (*Cipher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Subject == nil {
		cfg.Subject = func(r *journal.Record) string { return r.AggregateID.String() }
	}
	if cfg.SnapshotSubject == nil {
		cfg.SnapshotSubject = func(s *domain.Snapshot) string { return s.AggregateID.String() }
	}
	if cfg.KeyCacheSize == 0 {
		cfg.KeyCacheSize = 10_000
	}
	return &Cipher{cfg: cfg, cache: newKeyCache(cfg.KeyCacheSize)}, nil
}

// what names a record or snapshot in errors.
type what struct {
	snapshot bool
	id       uuid.UUID
	version  uint64
}

func (w what) String() string {
	if w.snapshot {
		return fmt.Sprintf("snapshot of aggregate %s version %d", w.id, w.version)
	}
	return fmt.Sprintf("aggregate %s version %d", w.id, w.version)
}

// EncodeRecord implements journal.Transform.
func (c *Cipher) EncodeRecord(ctx context.Context, r *journal.Record) error {
	w := what{id: r.AggregateID, version: r.Version}
	subject := ""
	if c.cfg.KeyStore != nil {
		subject = c.cfg.Subject(r)
	}
	if r.Headers == nil {
		r.Headers = make(map[string]string, 3)
	}
	out, err := c.seal(ctx, w, r.Headers, subject, r.Data, func(subject, keyID string) []byte {
		return recordAAD(r, subject, keyID)
	})
	if err != nil {
		return err
	}
	r.Data = out
	return nil
}

// DecodeRecord implements journal.Transform.
func (c *Cipher) DecodeRecord(ctx context.Context, r *journal.Record) error {
	out, err := c.open(ctx, what{id: r.AggregateID, version: r.Version}, r.Headers, r.Data, func(subject, keyID string) []byte {
		return recordAAD(r, subject, keyID)
	})
	if err != nil {
		return err
	}
	r.Data = out
	return nil
}

// EncodeSnapshot implements snapshots.Transform.
func (c *Cipher) EncodeSnapshot(ctx context.Context, s *domain.Snapshot) error {
	w := what{snapshot: true, id: s.AggregateID, version: s.Version}
	subject := ""
	if c.cfg.KeyStore != nil {
		subject = c.cfg.SnapshotSubject(s)
	}
	if s.Headers == nil {
		s.Headers = make(map[string]string, 3)
	}
	out, err := c.seal(ctx, w, s.Headers, subject, s.Data, func(subject, keyID string) []byte {
		return snapshotAAD(s, subject, keyID)
	})
	if err != nil {
		return err
	}
	s.Data = out
	return nil
}

// DecodeSnapshot implements snapshots.Transform.
func (c *Cipher) DecodeSnapshot(ctx context.Context, s *domain.Snapshot) error {
	out, err := c.open(ctx, what{snapshot: true, id: s.AggregateID, version: s.Version}, s.Headers, s.Data, func(subject, keyID string) []byte {
		return snapshotAAD(s, subject, keyID)
	})
	if err != nil {
		return err
	}
	s.Data = out
	return nil
}

func (c *Cipher) seal(ctx context.Context, w what, headers map[string]string, subject string, plain []byte, aad func(subject, keyID string) []byte) ([]byte, error) {
	if _, done := headers[HeaderCipher]; done {
		return nil, fmt.Errorf("encryption: %s is already encrypted", w)
	}
	var (
		keyID string
		a     cipher.AEAD
		err   error
	)
	if c.cfg.KeyStore == nil {
		keyID = c.cfg.Keys.Current()
		a, _ = c.cfg.Keys.aead(keyID)
	} else if keyID, a, err = c.dataKey(ctx, subject, ""); err != nil {
		return nil, fmt.Errorf("encryption: %s: %w", w, err)
	}
	out := make([]byte, nonceSize, nonceSize+len(plain)+a.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("encryption: %s: nonce: %w", w, err)
	}
	out = a.Seal(out, out[:nonceSize], plain, aad(subject, keyID))
	headers[HeaderCipher] = AES256GCM
	headers[HeaderKey] = keyID
	if c.cfg.KeyStore != nil {
		headers[HeaderSubject] = subject
	}
	return out, nil
}

func (c *Cipher) open(ctx context.Context, w what, headers map[string]string, data []byte, aad func(subject, keyID string) []byte) ([]byte, error) {
	switch alg := headers[HeaderCipher]; alg {
	case AES256GCM:
	case "":
		if c.cfg.RequireEncrypted {
			return nil, fmt.Errorf("encryption: %s: %w", w, ErrNotEncrypted)
		}
		return data, nil
	default:
		return nil, fmt.Errorf("encryption: %s: cipher %q is not known: %w", w, alg, ErrDecrypt)
	}
	keyID := headers[HeaderKey]
	subject, perSubject := headers[HeaderSubject]
	var (
		a   cipher.AEAD
		err error
	)
	if perSubject {
		if c.cfg.KeyStore == nil {
			return nil, fmt.Errorf("encryption: %s: encrypted with subject %q's data key, and this cipher has no key store: %w", w, subject, ErrNoKeyStore)
		}
		if _, a, err = c.dataKey(ctx, subject, keyID); err != nil {
			return nil, fmt.Errorf("encryption: %s: %w", w, err)
		}
	} else if a, err = c.cfg.Keys.aead(keyID); err != nil {
		return nil, fmt.Errorf("encryption: %s: %w", w, err)
	}
	if len(data) < nonceSize+a.Overhead() {
		return nil, fmt.Errorf("encryption: %s: payload of %d bytes is too short: %w (%w)", w, len(data), ErrDecrypt, journal.ErrCorrupt)
	}
	plain, err := a.Open(nil, data[:nonceSize], data[nonceSize:], aad(subject, keyID))
	if err != nil {
		return nil, fmt.Errorf("encryption: %s: %w (%w)", w, ErrDecrypt, journal.ErrCorrupt)
	}
	return plain, nil
}

// dataKey returns the id and AEAD of subject's data key. With want == ""
// (writing) it creates the key if the subject has none; otherwise (reading)
// the key must exist and have id want.
func (c *Cipher) dataKey(ctx context.Context, subject, want string) (string, cipher.AEAD, error) {
	if e, ok := c.cache.get(subject); ok && (want == "" || e.id == want) {
		return e.id, e.aead, nil
	}
	epoch := c.cache.epoch() // before the fetch: a Shred from now on wins
	wk, err := c.cfg.KeyStore.Get(ctx, subject)
	if errors.Is(err, ErrNoKey) && want == "" {
		wk, err = c.createKey(ctx, subject)
	}
	if err != nil {
		return "", nil, err
	}
	if want != "" && wk.ID != want {
		return "", nil, fmt.Errorf("subject %q: the key store has data key %q, not %q: %w", subject, wk.ID, want, ErrNoKey)
	}
	a, err := c.unwrap(subject, wk)
	if err != nil {
		return "", nil, err
	}
	c.cache.put(subject, keyEntry{id: wk.ID, aead: a}, epoch)
	return wk.ID, a, nil
}

func (c *Cipher) createKey(ctx context.Context, subject string) (WrappedKey, error) {
	secret := make([]byte, KeySize)
	id := make([]byte, 8)
	if _, err := rand.Read(secret); err != nil {
		return WrappedKey{}, err
	}
	if _, err := rand.Read(id); err != nil {
		return WrappedKey{}, err
	}
	wk, err := c.wrap(subject, hex.EncodeToString(id), secret)
	if err != nil {
		return WrappedKey{}, err
	}
	return c.cfg.KeyStore.Create(ctx, subject, wk)
}

func (c *Cipher) wrap(subject, id string, secret []byte) (WrappedKey, error) {
	master := c.cfg.Keys.Current()
	a, _ := c.cfg.Keys.aead(master)
	out := make([]byte, nonceSize, nonceSize+len(secret)+a.Overhead())
	if _, err := rand.Read(out); err != nil {
		return WrappedKey{}, err
	}
	out = a.Seal(out, out[:nonceSize], secret, wrapAAD(subject, id))
	return WrappedKey{ID: id, MasterID: master, Wrapped: out}, nil
}

func (c *Cipher) unwrapSecret(subject string, wk WrappedKey) ([]byte, error) {
	a, err := c.cfg.Keys.aead(wk.MasterID)
	if err != nil {
		return nil, fmt.Errorf("subject %q data key %q: %w", subject, wk.ID, err)
	}
	if len(wk.Wrapped) < nonceSize+a.Overhead() {
		return nil, fmt.Errorf("subject %q data key %q: wrapped key too short: %w", subject, wk.ID, ErrDecrypt)
	}
	secret, err := a.Open(nil, wk.Wrapped[:nonceSize], wk.Wrapped[nonceSize:], wrapAAD(subject, wk.ID))
	if err != nil {
		return nil, fmt.Errorf("subject %q data key %q: unwrap with master key %q: %w", subject, wk.ID, wk.MasterID, ErrDecrypt)
	}
	return secret, nil
}

func (c *Cipher) unwrap(subject string, wk WrappedKey) (cipher.AEAD, error) {
	secret, err := c.unwrapSecret(subject, wk)
	if err != nil {
		return nil, err
	}
	a, err := newAEAD(secret)
	if err != nil {
		return nil, fmt.Errorf("subject %q data key %q: %w", subject, wk.ID, err)
	}
	return a, nil
}

// Shred forgets subject's data key for ever: its events and snapshots stay
// stored, and reading them returns ErrShredded. New events for the subject
// are refused with ErrShredded too.
func (c *Cipher) Shred(ctx context.Context, subject string) error {
	if c.cfg.KeyStore == nil {
		return fmt.Errorf("encryption: shred subject %q: %w", subject, ErrNoKeyStore)
	}
	if err := c.cfg.KeyStore.Shred(ctx, subject); err != nil {
		return fmt.Errorf("encryption: shred subject %q: %w", subject, err)
	}
	c.cache.remove(subject)
	return nil
}

// Forget drops subject's data key from this Cipher's cache: a process
// told that another one shredded the subject calls it, so that it stops
// reading the subject's payloads at once.
func (c *Cipher) Forget(subject string) { c.cache.remove(subject) }

// Rotate rewraps every data key that is not wrapped by the current master
// key with the current one, and returns how many it rewrapped. No event is
// rewritten. After Rotate, old master keys can leave the Keyring (when the
// cipher had no KeyStore they cannot: the payloads are under them).
func (c *Cipher) Rotate(ctx context.Context) (int, error) {
	if c.cfg.KeyStore == nil {
		return 0, fmt.Errorf("encryption: rotate: %w", ErrNoKeyStore)
	}
	current := c.cfg.Keys.Current()
	n := 0
	err := c.cfg.KeyStore.Range(ctx, func(subject string, wk WrappedKey) error {
		if wk.MasterID == current {
			return nil
		}
		secret, err := c.unwrapSecret(subject, wk)
		if err != nil {
			return err
		}
		nk, err := c.wrap(subject, wk.ID, secret)
		if err != nil {
			return err
		}
		if err := c.cfg.KeyStore.Rewrap(ctx, subject, nk); err != nil {
			if errors.Is(err, ErrShredded) {
				return nil // shredded meanwhile: nothing to keep
			}
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("encryption: rotate to master key %q: %w", current, err)
	}
	return n, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// recordAAD binds a record's ciphertext to its place: moving it to another
// aggregate, version, type or subject makes it fail to decrypt.
func recordAAD(r *journal.Record, subject, keyID string) []byte {
	b := make([]byte, 0, 96+len(r.Type)+len(subject))
	b = append(b, "factum/record/v1"...)
	b = append(b, r.AggregateID[:]...)
	b = binary.BigEndian.AppendUint64(b, r.Version)
	b = appendString(b, r.Type)
	b = binary.BigEndian.AppendUint32(b, r.SchemaVersion)
	b = appendString(b, subject)
	return appendString(b, keyID)
}

func snapshotAAD(s *domain.Snapshot, subject, keyID string) []byte {
	b := make([]byte, 0, 96+len(s.Type)+len(subject))
	b = append(b, "factum/snapshot/v1"...)
	b = append(b, s.AggregateID[:]...)
	b = binary.BigEndian.AppendUint64(b, s.Version)
	b = appendString(b, s.Type)
	b = binary.BigEndian.AppendUint32(b, s.SchemaVersion)
	b = appendString(b, subject)
	return appendString(b, keyID)
}

func wrapAAD(subject, keyID string) []byte {
	b := append([]byte("factum/data-key/v1"), 0)
	b = appendString(b, subject)
	return appendString(b, keyID)
}
