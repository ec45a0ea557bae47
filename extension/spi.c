/*
 * spi.c
 *		SPI connection in the caller's memory context.
 */
#include "mcp_oauth.h"

#include "executor/spi.h"

/* Connect to SPI but keep allocating in the caller's memory context. */
void
mo_spi_connect(void)
{
	MemoryContext caller = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "could not connect to SPI");
	MemoryContextSwitchTo(caller);
}

/* Disconnect from SPI, staying in the caller's memory context. */
void
mo_spi_finish(void)
{
	MemoryContext caller = CurrentMemoryContext;

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "could not disconnect from SPI");
	MemoryContextSwitchTo(caller);
}
