"""The Streamlit pages of QNP Studio; app.py routes to them with st.navigation."""
