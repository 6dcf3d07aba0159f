// Package hub downloads model files into a local cache: Hugging Face Hub
// files named hf://OWNER/REPO/FILE[@REVISION] and plain https URLs.
//
// It follows the Hub's HTTP conventions as huggingface_hub's file_download.py
// reads them: a file resolves at
// https://huggingface.co/OWNER/REPO/resolve/REVISION/FILE, which for files
// stored in Git LFS answers with a redirect to a CDN and carries the file's
// sha256 in the X-Linked-Etag header (and its size in X-Linked-Size); for LFS
// files served directly the ETag header holds the sha256. A file kept in git
// itself (not LFS: config.json, tokenizer.json) is served directly with its
// git blob id as ETag, sha1("blob SIZE\x00" + content), which is checked
// instead.
//
// A download goes to FINAL.part and is renamed to FINAL only after its size
// and sha256 check out, so the cache never holds a partial file under the
// final name. An interrupted download (a broken connection, a cancelled
// context) leaves the .part file behind, and the next attempt resumes it with
// an HTTP Range request (RFC 9110 §14); the resumed bytes are used only when
// the server answers 206 Partial Content with a Content-Range that starts at
// the requested offset, otherwise the download restarts from the beginning.
//
// Pulls of one name are serialised across processes by an advisory lock
// (flock, on the systems that have it) on FINAL.part.lock; a pull that waited
// returns the file the other one finished.
package hub
