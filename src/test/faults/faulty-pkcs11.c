/*
 * A PKCS#11 module that forwards every call to a real one (FAULTY_PKCS11_TARGET, e.g. SoftHSM)
 * and, while the file FAULTY_PKCS11_FLAG exists, answers signing and object searches with
 * CKR_DEVICE_ERROR: a network HSM that has become unreachable. When it comes back, every session
 * opened before the outage is gone (CKR_SESSION_HANDLE_INVALID), as after a network HSM's
 * reconnect, so only a client that opens new sessions recovers. Test material only, compiled by
 * the system test that uses it; never part of the service.
 *
 * No PKCS#11 header is needed: CK_FUNCTION_LIST is a CK_VERSION (two bytes, padded to pointer
 * alignment) followed by function pointers in the order the standard fixes.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef unsigned long CK_RV;
typedef unsigned long CK_ULONG;

#define FUNCTIONS 68
#define CKR_DEVICE_ERROR 0x30UL
#define CKR_GENERAL_ERROR 0x05UL
#define CKR_SESSION_HANDLE_INVALID 0xB3UL
#define MAX_SESSIONS 65536
/* Positions in CK_FUNCTION_LIST (PKCS#11 v2.40, section 5.16). */
#define C_OPEN_SESSION 12
#define C_FIND_OBJECTS_INIT 26
#define C_SIGN_INIT 42
#define C_SIGN 43

struct function_list {
    unsigned char major, minor;
    void *fn[FUNCTIONS];
};

static struct function_list forwarded;
static struct function_list *real;

/* Outages seen so far, and the outage count when each session was opened. */
static volatile unsigned long outages;
static volatile int was_down;
static unsigned long opened_in[MAX_SESSIONS];

static int down(void) {
    const char *flag = getenv("FAULTY_PKCS11_FLAG");
    int now = flag != NULL && access(flag, F_OK) == 0;
    if (now && !was_down) {
        outages++;
    }
    was_down = now;
    return now;
}

/* A session from before the latest outage no longer exists on the "device". */
static int stale(CK_ULONG session) {
    return session < MAX_SESSIONS && opened_in[session] < outages;
}

typedef CK_RV (*open_session_fn)(CK_ULONG, CK_ULONG, void *, void *, CK_ULONG *);
static CK_RV open_session(CK_ULONG slot, CK_ULONG flags, void *app, void *notify, CK_ULONG *session) {
    if (down()) {
        return CKR_DEVICE_ERROR;
    }
    CK_RV rv = ((open_session_fn) real->fn[C_OPEN_SESSION])(slot, flags, app, notify, session);
    if (rv == 0 && *session < MAX_SESSIONS) {
        opened_in[*session] = outages;
    }
    return rv;
}

typedef CK_RV (*find_init_fn)(CK_ULONG, void *, CK_ULONG);
static CK_RV find_objects_init(CK_ULONG session, void *template, CK_ULONG count) {
    if (!down() && stale(session)) {
        return CKR_SESSION_HANDLE_INVALID;
    }
    return down() ? CKR_DEVICE_ERROR : ((find_init_fn) real->fn[C_FIND_OBJECTS_INIT])(session, template, count);
}

typedef CK_RV (*sign_init_fn)(CK_ULONG, void *, CK_ULONG);
static CK_RV sign_init(CK_ULONG session, void *mechanism, CK_ULONG key) {
    if (!down() && stale(session)) {
        return CKR_SESSION_HANDLE_INVALID;
    }
    return down() ? CKR_DEVICE_ERROR : ((sign_init_fn) real->fn[C_SIGN_INIT])(session, mechanism, key);
}

typedef CK_RV (*sign_fn)(CK_ULONG, void *, CK_ULONG, void *, void *);
static CK_RV sign(CK_ULONG session, void *data, CK_ULONG length, void *signature, void *signature_length) {
    if (!down() && stale(session)) {
        return CKR_SESSION_HANDLE_INVALID;
    }
    return down() ? CKR_DEVICE_ERROR : ((sign_fn) real->fn[C_SIGN])(session, data, length, signature, signature_length);
}

CK_RV C_GetFunctionList(void **out) {
    if (real == NULL) {
        const char *target = getenv("FAULTY_PKCS11_TARGET");
        void *module = target == NULL ? NULL : dlopen(target, RTLD_NOW | RTLD_LOCAL);
        CK_RV (*get)(void **) = module == NULL ? NULL : (CK_RV (*)(void **)) dlsym(module, "C_GetFunctionList");
        if (get == NULL || get((void **) &real) != 0) {
            return CKR_GENERAL_ERROR;
        }
        memcpy(&forwarded, real, sizeof forwarded);
        forwarded.fn[C_OPEN_SESSION] = (void *) open_session;
        forwarded.fn[C_FIND_OBJECTS_INIT] = (void *) find_objects_init;
        forwarded.fn[C_SIGN_INIT] = (void *) sign_init;
        forwarded.fn[C_SIGN] = (void *) sign;
    }
    *out = &forwarded;
    return 0;
}
