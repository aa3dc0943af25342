"""A task list sent, then updated as its tasks run, one task pointing at a message."""

import chainlit as cl


@cl.on_message
async def main(message: cl.Message):
    task_list = cl.TaskList()
    task_list.status = "Running..."
    fetch = cl.Task(title="Fetch the data", status=cl.TaskStatus.RUNNING)
    await task_list.add_task(fetch)
    await task_list.add_task(cl.Task(title="Draw the chart"))
    await task_list.send()

    done = await cl.Message(content="Data fetched.").send()
    fetch.status = cl.TaskStatus.DONE
    fetch.forId = done.id
    task_list.tasks[1].status = cl.TaskStatus.FAILED
    await task_list.send()

    task_list.status = "Failed"
    await task_list.update()
