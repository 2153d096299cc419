// Package idkey keys the index's rows by the ids the chain gives as 64
// hex digits (transactions, coins, trades): the writer stores the key
// beside the id and the readers look the id up by it.
package idkey

import "strconv"

// Of is the key an index row carries for a transaction's, coin's or
// trade's id (64 hex digits): its first 15 hex digits as an integer, 0
// for an id that does not start with them. An id is looked up by its key
// and then compared (internal/index/migrations/00005_id_keys.sql).
func Of(id string) int64 {
	if len(id) < 15 {
		return 0
	}
	k, err := strconv.ParseInt(id[:15], 16, 64)
	if err != nil || k < 0 {
		return 0
	}
	return k
}
