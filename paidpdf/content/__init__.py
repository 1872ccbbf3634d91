"""Content: what the shop sells.

The catalog of items (`catalog`), the words an item may carry (`item_text`), the checks that a file
is what it claims to be (`media`) and the sample booklets of the demo shop (`demo`). The files
themselves are stored by `paidpdf.store.files.blobs`. Nothing here knows about buyers or money beyond an
item's price.
"""
