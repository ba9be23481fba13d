/* version: the lendlab version string. */
#ifndef LL_VERSION_H
#define LL_VERSION_H
#define LL_VERSION "0.1.0"
#endif
