package encryption_test

import (
	"testing"

	"github.com/factum-dev/factum/journal/encryption"
	"github.com/factum-dev/factum/journal/encryption/keystoretest"
)

func TestMemoryKeyStore(t *testing.T) {
	keystoretest.Run(t, func(*testing.T) encryption.KeyStore { return encryption.NewMemoryKeyStore() })
}
