package cluster

import "errors"

// ErrConfig is returned by NewNode for a Config that cannot work; the
// message names the setting.
var ErrConfig = errors.New("invalid cluster config")

// ErrNotMember is returned by Node.Ready for a node that is not (yet, or
// any more) a live member of the cluster.
var ErrNotMember = errors.New("not a live member of the cluster")
