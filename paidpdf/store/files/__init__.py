"""Files on disk and in an object store, for both backends and for the domain.

`atomic` (crash-safe replacement of a file), `blobs` (content-addressed files under the data folder),
`object_files` (their mirror in an S3-compatible store), `permissions` (private files and folders).
Nothing here imports a backend, so both backends and the domain can use it.
"""
