"""Lambda function that mirrors S3 image objects onto the EFS images mount.

On Lambda this folder is the function root and its modules are imported as
top-level modules; see handler.py for the deployment contract.
"""
