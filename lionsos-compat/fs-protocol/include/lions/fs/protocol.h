/*
 * lions/fs/protocol.h on Pride: LionsOS sources include the protocol under
 * this name; Pride's definitions are in pride_lions_fs/protocol.h.
 * Written for Pride (BSD-2-Clause).
 */
#pragma once

#include <pride_lions_fs/protocol.h>
