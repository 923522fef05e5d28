// cctv: record who did what to which thing, when; ask what happened.
//
//   auto client = cctv::Client::open("rocksdb:./cctv-data");
//   auto pageviews = client.tracker("store-pageviews");
//   pageviews.record_activity("bob", "/store", {{"browser", "Chrome"}});
//   pageviews.flush();
//   cctv::Page page = pageviews.view_activity("/store");
//
// This header includes the whole public API.
#ifndef CCTV_CCTV_H_
#define CCTV_CCTV_H_

#include "cctv/activity.h"
#include "cctv/batch.h"
#include "cctv/client.h"
#include "cctv/counts.h"
#include "cctv/dynamo_options.h"
#include "cctv/error.h"
#include "cctv/fork_safe_client.h"
#include "cctv/health.h"
#include "cctv/json.h"
#include "cctv/metrics.h"
#include "cctv/options.h"
#include "cctv/repair.h"
#include "cctv/table.h"
#include "cctv/time.h"
#include "cctv/tracker.h"
#include "cctv/value.h"
#include "cctv/view.h"

#endif  // CCTV_CCTV_H_
