-- A fixed GET of the URL given to wrk (wrk's fast static-request path); only adds the report.
require "common"
