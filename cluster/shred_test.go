package cluster_test

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
)

// TestClusterShredEvictsOnOwner: a crypto-shred sent to a node that does
// not own the subject's partition stops the subject's live actor on the
// owner too, so the owner no longer serves its decrypted state.
func TestClusterShredEvictsOnOwner(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	const token = "admin-secret"
	c := startCluster(t, 2, 8, "FACTUM_CIPHER_KEY="+base64.StdEncoding.EncodeToString(key),
		"FACTUM_PER_SUBJECT_KEYS=true", "FACTUM_ADMIN_TOKEN="+token)
	var owners map[int]string
	require.Eventually(t, func() bool {
		var ok bool
		owners, ok = c.ownedOnce(c.nodes...)
		return ok
	}, 5*time.Second, 20*time.Millisecond)
	id, err := domain.AggregateID("dogschool.Dog", "rex")
	require.NoError(t, err)
	owner := owners[journal.PartitionOf(id, c.P)]
	other := c.nodes[0]
	if other.addr == owner {
		other = c.nodes[1]
	}

	r, err := c.send(t.Context(), other, "/v1/dogschool.Dog/rex/register", `{"name":"Rex"}`, "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.Status, r)
	get := func() int {
		res, err := c.http.Get("http://" + other.addr + "/v1/dogschool.Dog/rex")
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, get(), "the owner's live actor serves rex")

	req, err := http.NewRequest(http.MethodPost, "http://"+other.addr+"/v1/admin/shred/rex?type=dogschool.Dog", strings.NewReader(""))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.http.Do(req)
	require.NoError(t, err)
	var body struct {
		Shredded string `json:"shredded"`
		Evicted  int    `json:"evicted"`
		Error    string `json:"evict_error"`
	}
	require.NoError(t, jsonDecode(res, &body))
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.Equal(t, id.String(), body.Shredded)
	require.Empty(t, body.Error)
	require.Equal(t, 1, body.Evicted, "the owner's actor (on %s) is stopped, from %s", owner, other.addr)
	require.Equal(t, http.StatusGone, get(), "rex's state is gone with its key, on the owner too")
}
