"""The retail-assets policy pack: FSBP controls, the EFS mount check and AWS
API contract checks.

`pulumi preview --policy-pack policy` runs it through `policy/__main__.py`;
the offline preview calls `policy.runner.evaluate` on a `StackRun`.
"""
