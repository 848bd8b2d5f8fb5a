package encryption

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// KeySize is the size of every key: AES-256.
const KeySize = 32

// Key is a master key: a 32-byte AES-256 key and its id. The id is stored
// with everything the key encrypts or wraps, so that data written under
// an old master key is still read after a rotation.
type Key struct {
	ID     string
	Secret []byte
}

// NewKey returns the master key with secret (32 bytes) and an id derived
// from it (8 hex digits of an HMAC of the secret: the same secret always
// gets the same id, and the id reveals nothing about the secret).
func NewKey(secret []byte) (Key, error) {
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("encryption: key is %d bytes, want %d (AES-256): %w", len(secret), KeySize, ErrBadKey)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("factum master key id"))
	return Key{ID: hex.EncodeToString(m.Sum(nil)[:4]), Secret: append([]byte(nil), secret...)}, nil
}

// ParseKey decodes a base64 (standard or URL alphabet, padded or not)
// 32-byte key, as FACTUM_CIPHER_KEY holds it, into a Key.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return NewKey(b)
		}
	}
	return Key{}, fmt.Errorf("encryption: key is not base64: %w", ErrBadKey)
}

// Keyring holds the current master key, which encrypts and wraps
// everything written, and older master keys that still decrypt and unwrap
// what was written under them.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// NewKeyring returns a keyring whose current master key is current; old
// keys are kept to read data written before a rotation.
func NewKeyring(current Key, old ...Key) (*Keyring, error) {
	k := &Keyring{current: current.ID, aeads: map[string]cipher.AEAD{}}
	for _, key := range append([]Key{current}, old...) {
		if key.ID == "" {
			return nil, fmt.Errorf("encryption: master key with an empty id: %w", ErrBadKey)
		}
		if _, dup := k.aeads[key.ID]; dup {
			return nil, fmt.Errorf("encryption: master key id %q given twice: %w", key.ID, ErrBadKey)
		}
		a, err := newAEAD(key.Secret)
		if err != nil {
			return nil, fmt.Errorf("encryption: master key %q: %w", key.ID, err)
		}
		k.aeads[key.ID] = a
	}
	return k, nil
}

// Current returns the id of the current master key.
func (k *Keyring) Current() string { return k.current }

func (k *Keyring) aead(id string) (cipher.AEAD, error) {
	a, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("master key %q is not in the keyring: %w", id, ErrUnknownMasterKey)
	}
	return a, nil
}

func newAEAD(secret []byte) (cipher.AEAD, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("key is %d bytes, want %d: %w", len(secret), KeySize, ErrBadKey)
	}
	b, err := aes.NewCipher(secret)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}
