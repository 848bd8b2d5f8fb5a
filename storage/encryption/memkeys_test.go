package encryption_test

import (
	"testing"

	"github.com/factum-dev/factum/storage/encryption"
	"github.com/factum-dev/factum/storage/encryption/keystoretest"
)

func TestMemoryKeyStore(t *testing.T) {
	keystoretest.Run(t, func(*testing.T) encryption.KeyStore { return encryption.NewMemoryKeyStore() })
}
