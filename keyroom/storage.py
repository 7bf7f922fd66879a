"""Static file storage: hashed names for caching, with ES module imports rewritten to match."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Rewrite ``import ... from "./x.js"`` in JS modules to the hashed file names."""

    support_js_module_import_aggregation = True
    # Each pass rewrites one level of imports; the app's module graph is deeper than Django's
    # default of 5.
    max_post_process_passes = 30
    # A missing file is a deploy bug; fail collectstatic rather than serve a broken page.
    manifest_strict = True
